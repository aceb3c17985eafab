"""Cancel, accept offers, hand freed seats to the waitlist, expire offers; read enrolments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import (
    Action,
    Actor,
    Status,
    cancel_reason,
    check_trainee_may_cancel,
    frees_seat,
    require,
    seats_to_fill,
)
from services.enrollment.domain.schedule import local_today, offer_deadline
from services.enrollment.handlers.access import require_enrollment_reader
from services.enrollment.handlers.eligibility import refusals_of, require_eligible_for
from services.enrollment.handlers.events import emit
from services.enrollment.handlers.locks import lock_enrolment_class
from services.enrollment.repository import Row
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import enrollments as repo
from services.enrollment.views import enrollments as views
from services.enrollment.views.models import EnrolmentDetail, EnrolmentList
from shared.auth import Principal
from shared.errors import InvalidState, NotFound
from shared.events.catalog import EnrollmentCancelled, EnrollmentOffered, EnrollmentPromoted
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Seats:
    """A locked class's counters."""

    capacity: int
    taken: int
    waiting: int

    @classmethod
    def of(cls, row: Row) -> Seats:
        """Read the counters of a locked class row."""
        return cls(row["capacity"], row["seats_taken"], row["waitlist_length"])


def _not_found() -> NotFound:
    return NotFound("There is no such enrolment.", code="enrollment_not_found")


async def fill_seats(
    uow: UnitOfWork, deps: Deps, cls: Row, seats: Seats, *, now: datetime
) -> Seats:
    """Give free seats to the head of the waitlist, in booking order: promote or offer.

    The course's rules are checked again for each head (under its place lock): a place taken
    elsewhere since the trainee joined this waitlist may now refuse them (waiting is not a
    subsidised place). Such a head leaves the waitlist, cancelled with the rule's code, and
    the seat goes to the next in line."""
    while count := seats_to_fill(capacity=seats.capacity, seats_taken=seats.taken,
                                 waitlist_length=seats.waiting):
        heads = await repo.class_event_rows(uow.conn, cls["id"], ["waitlisted"], limit=count)
        if not heads:
            return seats
        refused = await refusals_of(uow.conn, deps, cls["id"], [h["trainee_id"] for h in heads],
                                    union_rule=False, lock=True)
        for head in heads:
            found = refused.get(head["trainee_id"])
            if found:
                await _cancel_ineligible(uow, deps, head, found[0].code.value, now=now)
                seats = replace(seats, waiting=seats.waiting - 1)
            else:
                await _give_seat(uow, deps, cls, head, now=now)
                seats = replace(seats, taken=seats.taken + 1, waiting=seats.waiting - 1)
    return seats


async def _give_seat(uow: UnitOfWork, deps: Deps, cls: Row, head: Row, *, now: datetime) -> None:
    system = Actor.system()
    if cls["waitlist_policy"] == "auto_promote":
        await emit(uow, head, EnrollmentPromoted, to_status=Status.CONFIRMED, actor=system,
                   now=now, tz=deps.tz)
    else:
        deadline = offer_deadline(now, hours=cls["offer_hours"], quiet=deps.quiet_hours)
        await emit(uow, head, EnrollmentOffered, to_status=Status.OFFERED, actor=system,
                   now=now, tz=deps.tz, offer_expires_at=deadline, reason="seat_freed",
                   fields={"offer_expires_at": deadline})


async def _cancel_ineligible(
    uow: UnitOfWork, deps: Deps, head: Row, rule: str, *, now: datetime
) -> None:
    # The enrolment keeps the rule's code as its cancel reason (the trainee's page names it);
    # the event says "ineligible" and carries the code as its note.
    await emit(uow, head, EnrollmentCancelled, to_status=Status.CANCELLED, actor=Actor.system(),
               now=now, tz=deps.tz, reason=rule, fields={"reason": "ineligible", "note": rule})
    log.info("waitlist_head_ineligible", enrollment_id=str(head["id"]), rule=rule)


async def cancel(enrollment_id: UUID, *, deps: Deps, actor: Principal) -> EnrolmentDetail:
    """Cancel an enrolment (its trainee or an administrator); a freed seat moves down the list."""

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        locked = await lock_enrolment_class(uow.conn, enrollment_id)
        if locked is None or (actor.role != "admin" and locked[0]["trainee_id"] != actor.user_id):
            raise _not_found()
        cls = locked[1]
        row = (await repo.event_rows(uow.conn, [enrollment_id]))[0]
        status = require(row["status"], Action.CANCEL)
        if actor.role != "admin":
            check_trainee_may_cancel(status, today=local_today(now, deps.tz),
                                     starts_on=cls["starts_on"])
        who = Actor(actor.user_id, actor.role)
        reason = cancel_reason(status, who.role)
        await emit(uow, row, EnrollmentCancelled, to_status=Status.CANCELLED, actor=who, now=now,
                   tz=deps.tz, reason=reason, fields={"reason": reason})
        seats = _release(Seats.of(cls), status)
        seats = await fill_seats(uow, deps, cls, seats, now=now)
        await class_repo.save_counters(uow.conn, cls["id"], seats_taken=seats.taken,
                                       waitlist_length=seats.waiting)

    await in_transaction(deps.uows, work)
    return await _read(deps, enrollment_id)


def _release(seats: Seats, status: Status) -> Seats:
    if frees_seat(status):
        return replace(seats, taken=seats.taken - 1)
    return replace(seats, waiting=seats.waiting - 1)


async def accept(enrollment_id: UUID, *, deps: Deps, actor: Principal) -> EnrolmentDetail:
    """Accept a seat offer before its deadline."""

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        locked = await lock_enrolment_class(uow.conn, enrollment_id)
        if locked is None or locked[0]["trainee_id"] != actor.user_id:
            raise _not_found()
        row = (await repo.event_rows(uow.conn, [enrollment_id]))[0]
        require(row["status"], Action.ACCEPT)
        if row["offer_expires_at"] <= now:
            raise InvalidState("The seat offer has expired.", code="offer_expired")
        # A place taken elsewhere since the offer may refuse this one (it then expires).
        await require_eligible_for(uow.conn, deps, row["class_id"], actor.user_id,
                                   union_rule=False, lock=True)
        await emit(uow, row, EnrollmentPromoted, to_status=Status.CONFIRMED,
                   actor=Actor(actor.user_id, actor.role), now=now, tz=deps.tz,
                   reason="offer_accepted")

    await in_transaction(deps.uows, work)
    return await _read(deps, enrollment_id)


async def expire_offers(*, deps: Deps) -> int:
    """Cancel offers past their deadline and pass each seat to the next in line."""
    now = deps.clock.now()
    async with deps.pool.acquire() as conn:
        class_ids = await repo.classes_with_expired_offers(conn, now)
    expired = 0
    for class_id in class_ids:

        async def work(uow: UnitOfWork, class_id: UUID = class_id) -> int:
            cls = await class_repo.lock_class(uow.conn, class_id)
            assert cls is not None
            rows = await repo.expired_offer_rows(uow.conn, class_id, now)
            for row in rows:  # re-read under the lock: another instance may have done it
                await emit(uow, row, EnrollmentCancelled, to_status=Status.CANCELLED,
                           actor=Actor.system(), now=now, tz=deps.tz, reason="offer_expired",
                           fields={"reason": "offer_expired"})
            seats = replace(Seats.of(cls), taken=cls["seats_taken"] - len(rows))
            seats = await fill_seats(uow, deps, cls, seats, now=now)
            await class_repo.save_counters(uow.conn, class_id, seats_taken=seats.taken,
                                           waitlist_length=seats.waiting)
            return len(rows)

        expired += await in_transaction(deps.uows, work)
    if expired:
        log.info("offers_expired", count=expired)
    return expired


async def _read(deps: Deps, enrollment_id: UUID) -> EnrolmentDetail:
    detail = await views.get_enrollment(deps.pool, enrollment_id)
    if detail is None:
        raise _not_found()
    return detail


async def get_enrollment(enrollment_id: UUID, *, deps: Deps, actor: Principal) -> EnrolmentDetail:
    """Return an enrolment to its trainee, the class's trainers or an administrator."""
    owner = await views.enrollment_owner(deps.pool, enrollment_id)
    if owner is None:
        raise _not_found()
    require_enrollment_reader(actor, trainee_id=owner["trainee_id"],
                             trainer_ids=owner["trainer_ids"])
    return await _read(deps, enrollment_id)


async def my_enrollments(*, deps: Deps, actor: Principal) -> EnrolmentList:
    """Return the caller's own enrolments."""
    return await views.trainee_enrollments(deps.pool, actor.user_id)
