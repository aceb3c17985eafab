"""Publish courses; schedule, change, cancel and reschedule classes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

import asyncpg

from services.enrollment.commands import (
    CancelClass,
    CreateClass,
    CreateCourse,
    RescheduleClass,
    UpdateClass,
)
from services.enrollment.deps import Deps
from services.enrollment.domain.courses import check_certificate_rules
from services.enrollment.domain.enrollment import LIVE, Actor, Status, frees_seat
from services.enrollment.domain.schedule import (
    check_not_in_past,
    class_days,
    default_enrol_close,
    local_today,
    start_of_day,
)
from services.enrollment.handlers.access import class_not_found
from services.enrollment.handlers.enrollments import Seats, fill_seats
from services.enrollment.handlers.events import emit
from services.enrollment.repository import catalogue as repo
from services.enrollment.repository import enrollments as enrollment_repo
from services.enrollment.views import catalogue as views
from services.enrollment.views.models import ClassOut, CourseOut
from shared.auth import Principal
from shared.errors import Conflict, InvalidState, ValidationFailed
from shared.events.catalog import ClassTrainersChanged, EnrollmentCancelled, EnrollmentRescheduled
from shared.ids import new_id
from shared.messaging.uow import UnitOfWork, in_transaction

_NON_NULL = frozenset({"name", "capacity", "trainer_ids", "venue", "online", "enroll_opens_at",
                       "enroll_closes_at", "waitlist_policy", "offer_hours",
                       "union_members_only"})


async def _class_out(uow: UnitOfWork, class_id: UUID, now: datetime) -> ClassOut:
    out = await views.get_class(uow.conn, class_id, now)
    assert out is not None  # written in this transaction
    return out


async def create_course(cmd: CreateCourse, *, deps: Deps) -> CourseOut:
    """Publish a course; its code must be new."""
    check_certificate_rules(kind=cmd.certificate_kind, policy=cmd.issue_policy, level=cmd.level)
    course_id = new_id()
    values = cmd.model_dump()
    values["occupation_name"] = cmd.occupation_name or cmd.title_zh

    async def work(uow: UnitOfWork) -> CourseOut:
        if not await repo.insert_course(uow.conn, course_id, values, deps.clock.now()):
            raise Conflict("A course with this code exists.", code="course_code_taken")
        course = await views.get_course(uow.conn, course_id)
        assert course is not None
        return course

    return await in_transaction(deps.uows, work)


async def _check_trainers(uow: UnitOfWork, ids: Sequence[UUID]) -> None:
    known = await repo.trainers_among(uow.conn, ids)
    if missing := [str(i) for i in ids if i not in known]:
        raise ValidationFailed("Some trainer ids are not trainers.", code="unknown_trainer",
                               trainer_ids=missing)


def _per_day(required_hours: Decimal, days: int, given: float | None) -> Decimal:
    hours = Decimal(str(given)) if given is not None else required_hours / days
    hours = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not Decimal("0.01") <= hours <= 24:
        raise ValidationFailed("Hours per class day must be between 0.01 and 24.",
                               code="invalid_schedule")
    return hours


async def _publish_trainers(uow: UnitOfWork, class_id: UUID, trainer_ids: list[UUID]) -> None:
    # Certification decides who may approve or revoke a class's certificates by this list.
    seq = await repo.next_trainers_seq(uow.conn, class_id)
    await uow.publish(ClassTrainersChanged(class_id=class_id, trainer_ids=trainer_ids, seq=seq))


def _check_window(opens: datetime, closes: datetime) -> None:
    if closes <= opens:
        raise ValidationFailed("Enrolment must close after it opens.",
                               code="invalid_enrolment_window")


async def create_class(cmd: CreateClass, *, deps: Deps) -> ClassOut:
    """Schedule a class and publish its trainers; enrolment opens now and closes when the class
    starts (one starting today: at the end of the day) unless given."""
    now = deps.clock.now()
    days = class_days(cmd.starts_on, cmd.ends_on, cmd.schedule_days)
    check_not_in_past(cmd.starts_on, local_today(now, deps.tz))
    opens = cmd.enroll_opens_at or now
    closes = cmd.enroll_closes_at or default_enrol_close(cmd.starts_on, opens=opens, now=now,
                                                         tz=deps.tz)
    _check_window(opens, closes)
    class_id = new_id()

    async def work(uow: UnitOfWork) -> ClassOut:
        course = await repo.course_by_id(uow.conn, cmd.course_id)
        if course is None:
            raise ValidationFailed("There is no such course.", code="unknown_course")
        await _check_trainers(uow, cmd.trainer_ids)
        values = cmd.model_dump(exclude={"schedule_days"})
        values.update(
            trainer_ids=list(dict.fromkeys(cmd.trainer_ids)), class_days=days,
            hours_per_day=_per_day(course["required_hours"], len(days), cmd.hours_per_day),
            enroll_opens_at=opens, enroll_closes_at=closes,
        )
        await repo.insert_class(uow.conn, class_id, values, now)
        await _publish_trainers(uow, class_id, values["trainer_ids"])
        return await _class_out(uow, class_id, now)

    return await in_transaction(deps.uows, work)


async def _locked(uow: UnitOfWork, class_id: UUID) -> asyncpg.Record:
    cls = await repo.lock_class(uow.conn, class_id)
    if cls is None:
        raise class_not_found()
    if cls["status"] == "cancelled":
        raise InvalidState("This class has been cancelled.", code="class_cancelled")
    return cls


async def update_class(class_id: UUID, cmd: UpdateClass, *, deps: Deps) -> ClassOut:
    """Change a class; a larger capacity gives the new seats to the waitlist at once, and a new
    set of trainers is published (ClassTrainersChanged)."""
    changes = {k: getattr(cmd, k) for k in cmd.model_fields_set}
    changes = {k: v for k, v in changes.items() if v is not None or k not in _NON_NULL}
    now = deps.clock.now()

    async def work(uow: UnitOfWork) -> ClassOut:
        cls = await _locked(uow, class_id)
        if "trainer_ids" in changes:
            await _check_trainers(uow, changes["trainer_ids"])
            changes["trainer_ids"] = list(dict.fromkeys(changes["trainer_ids"]))
        _check_window(changes.get("enroll_opens_at", cls["enroll_opens_at"]),
                      changes.get("enroll_closes_at", cls["enroll_closes_at"]))
        capacity = changes.get("capacity", cls["capacity"])
        if capacity < cls["seats_taken"]:
            raise InvalidState(
                f"{cls['seats_taken']} seats are taken; capacity cannot go below that.",
                code="capacity_below_taken", seats_taken=cls["seats_taken"],
            )
        await repo.update_class(uow.conn, class_id, changes)
        if set(changes.get("trainer_ids", cls["trainer_ids"])) != set(cls["trainer_ids"]):
            await _publish_trainers(uow, class_id, changes["trainer_ids"])
        merged = {**dict(cls.items()), **changes}
        seats = await fill_seats(uow, deps, merged, replace(Seats.of(cls), capacity=capacity),
                                 now=now)
        await repo.save_counters(uow.conn, class_id, seats_taken=seats.taken,
                                 waitlist_length=seats.waiting)
        return await _class_out(uow, class_id, now)

    return await in_transaction(deps.uows, work)


async def cancel_class(
    class_id: UUID, cmd: CancelClass, *, deps: Deps, actor: Principal
) -> ClassOut:
    """Cancel a class: every live enrolment is cancelled and its trainee told."""
    now = deps.clock.now()
    who = Actor(actor.user_id, actor.role)

    async def work(uow: UnitOfWork) -> ClassOut:
        cls = await _locked(uow, class_id)
        if cls["results_released_at"] is not None:
            raise InvalidState("Results were released; the class is over.",
                               code="results_released")
        rows = await enrollment_repo.class_event_rows(uow.conn, class_id, list(LIVE))
        freed = 0
        for row in rows:
            freed += frees_seat(Status(row["status"]))
            await emit(uow, row, EnrollmentCancelled, to_status=Status.CANCELLED, actor=who,
                       now=now, tz=deps.tz, reason="class_cancelled",
                       fields={"reason": "class_cancelled", "note": cmd.reason})
        await repo.mark_cancelled(uow.conn, class_id, reason=cmd.reason,
                                  seats_taken=cls["seats_taken"] - freed)
        return await _class_out(uow, class_id, now)

    return await in_transaction(deps.uows, work)


async def reschedule_class(
    class_id: UUID, cmd: RescheduleClass, *, deps: Deps, actor: Principal
) -> ClassOut:
    """Move a class to new days; every live enrolment hears of the new schedule."""
    now = deps.clock.now()
    days = class_days(cmd.starts_on, cmd.ends_on, cmd.schedule_days)
    who = Actor(actor.user_id, actor.role)

    async def work(uow: UnitOfWork) -> ClassOut:
        cls = await _locked(uow, class_id)
        _check_not_started(cls["starts_on"], local_today(now, deps.tz))
        check_not_in_past(cmd.starts_on, local_today(now, deps.tz))
        per_day = cls["hours_per_day"] * len(cls["class_days"]) / len(days)
        await repo.reschedule(
            uow.conn, class_id, starts_on=cmd.starts_on, ends_on=cmd.ends_on, days=days,
            session_start=cmd.session_start if "session_start" in cmd.model_fields_set
            else cls["session_start"],
            venue=cmd.venue or cls["venue"],
            online=cls["online"] if cmd.online is None else cmd.online,
            hours_per_day=_per_day(per_day, 1, None),
        )
        if cls["enroll_closes_at"] == start_of_day(cls["starts_on"], deps.tz):
            # The window closed at the old start by default: keep it closing at the start.
            await repo.update_class(uow.conn, class_id, {
                "enroll_closes_at": default_enrol_close(
                    cmd.starts_on, opens=cls["enroll_opens_at"], now=now, tz=deps.tz)})
        rows = await enrollment_repo.class_event_rows(uow.conn, class_id, list(LIVE))
        for row in rows:
            await emit(uow, row, EnrollmentRescheduled, to_status=row["status"], actor=who,
                       now=now, tz=deps.tz, reason="class_rescheduled", fields={
                           "previous_starts_on": cls["starts_on"],
                           "previous_ends_on": cls["ends_on"],
                           "previous_venue": cls["venue"]})
        return await _class_out(uow, class_id, now)

    return await in_transaction(deps.uows, work)


def _check_not_started(starts_on: date, today: date) -> None:
    if today >= starts_on:
        raise InvalidState("The class has started and cannot be moved.", code="class_started")
