"""Move a confirmed seat to another class of the same course (改期) in one step.

One enrolment throughout: it changes class, takes the new class's next booking and a free seat,
and announces `enrollment.rescheduled` (its `class_info` the new class, `previous_*` the old
one), so notification sends one "your schedule changed" message and drops an old reminder,
and certification later meets the enrolment's results under the new class. The seat freed in
the old class goes to its waitlist as a cancellation's would (promoted or offered).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from services.enrollment.commands import MoveEnrolment
from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor, Via
from services.enrollment.domain.moving import MoveSide, check_can_move
from services.enrollment.domain.places import PlaceRequest
from services.enrollment.domain.schedule import local_today
from services.enrollment.handlers.enrollments import Seats, fill_seats
from services.enrollment.handlers.events import emit
from services.enrollment.handlers.locks import lock_enrolment_with
from services.enrollment.handlers.places import check_place
from services.enrollment.repository import Row
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import enrollments as repo
from services.enrollment.repository import moving as move_repo
from services.enrollment.views import enrollments as views
from services.enrollment.views.models import EnrolmentDetail
from shared.auth import Principal
from shared.errors import NotFound
from shared.events.catalog import EnrollmentRescheduled
from shared.messaging.uow import UnitOfWork, in_transaction


def _side(row: Row) -> MoveSide:
    return MoveSide(class_id=row["id"], course_id=row["course_id"], status=row["status"],
                    starts_on=row["starts_on"], results_released=row["results_released_at"]
                    is not None, capacity=row["capacity"], seats_taken=row["seats_taken"])


async def move_enrolment(
    enrollment_id: UUID, cmd: MoveEnrolment, *, deps: Deps, actor: Principal
) -> EnrolmentDetail:
    """Move the caller's confirmed seat to a class of the same course with a free seat."""

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        found = await lock_enrolment_with(
            uow.conn, enrollment_id,
            lambda class_id: move_repo.lock_classes(uow.conn, [class_id, cmd.class_id]))
        if found is None or (actor.role != "admin" and found[0]["trainee_id"] != actor.user_id):
            raise NotFound("There is no such enrolment.", code="enrollment_not_found")
        owner, classes = found
        if owner["class_id"] == cmd.class_id:
            return  # already there: a retry of a move that went through
        if cmd.class_id not in classes:
            raise NotFound("There is no such class.", code="class_not_found")
        old, new = classes[owner["class_id"]], classes[cmd.class_id]
        row = (await repo.event_rows(uow.conn, [enrollment_id]))[0]
        check_can_move(status=row["status"], old=_side(old), new=_side(new),
                       today=local_today(now, deps.tz), cutoff_days=old["move_cutoff_days"])
        await _check_trainee_fits(uow, deps, new, owner["trainee_id"], enrollment_id,
                                 actor=actor, now=now)
        await move_repo.move_to(uow.conn, enrollment_id, cmd.class_id)
        freed = replace(Seats.of(old), taken=old["seats_taken"] - 1)
        seats = await fill_seats(uow, deps, old, freed, now=now)
        await class_repo.save_counters(uow.conn, old["id"], seats_taken=seats.taken,
                                       waitlist_length=seats.waiting)
        moved = (await repo.event_rows(uow.conn, [enrollment_id]))[0]
        await emit(uow, moved, EnrollmentRescheduled, to_status=moved["status"],
                   actor=Actor(actor.user_id, actor.role), now=now, tz=deps.tz, reason="moved",
                   fields={"previous_starts_on": old["starts_on"],
                           "previous_ends_on": old["ends_on"], "previous_venue": old["venue"]})

    await in_transaction(deps.uows, work)
    detail = await views.get_enrollment(deps.pool, enrollment_id)
    assert detail is not None  # enrolments are never deleted
    return detail


async def _check_trainee_fits(
    uow: UnitOfWork, deps: Deps, new: Row, trainee_id: UUID, enrollment_id: UUID, *,
    actor: Principal, now: datetime,
) -> None:
    """Apply the checks of enrolling in the new class, as the actor would enrol there (the
    moving seat not counted as a second place); its enrolment close does not bind a move."""
    ctx = await repo.booking_context(uow.conn, new["id"], trainee_id)
    assert ctx is not None
    via: Via = "admin" if actor.role == "admin" else "self"
    await check_place(uow.conn, deps, ctx, PlaceRequest(via=via, now=now, moving=True),
                      lock=True, moving=enrollment_id)
