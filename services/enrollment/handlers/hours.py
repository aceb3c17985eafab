"""Training hours of a class's trainees, and the course's minimum for a certifiable pass."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import UUID

from services.enrollment.commands_evidence import SetMinAttendance
from services.enrollment.deps import Deps
from services.enrollment.domain.hours import (
    attendance_ratio,
    enough_hours,
    hours_at_risk,
)
from services.enrollment.domain.results import Assessment
from services.enrollment.domain.sessions import planned_minutes
from services.enrollment.handlers.access import class_not_found, require_class_staff_of
from services.enrollment.repository import catalogue as course_repo
from services.enrollment.views import hours as views
from services.enrollment.views.hours import ClassEvidence
from services.enrollment.views.models.evidence import (
    ClassHoursOut,
    MinAttendanceOut,
    SessionMinutes,
    TraineeHoursOut,
)
from shared.auth import Principal
from shared.errors import NotFound
from shared.messaging.uow import UnitOfWork, in_transaction


async def get_class_hours(class_id: UUID, *, deps: Deps, actor: Principal) -> ClassHoursOut:
    """Return every trainee's minutes per session and in total, with late arrivals, early
    departures, missing check-outs and risks (the class's trainers and administrators)."""
    now = deps.clock.now()
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
        ev = await views.class_evidence(conn, class_id)
        if ev is None:
            raise class_not_found()
        people = await views.roster_people(conn, class_id)
        warned = await views.warned(conn, class_id)
    required = ev.required
    items = []
    for enrollment_id, name, status in people:
        h = ev.hours_of(enrollment_id, tz=deps.tz)
        risk = hours_at_risk(h, ev.sessions, now=now, tz=deps.tz, required=required,
                             min_ratio=ev.min_ratio)
        items.append(TraineeHoursOut(
            enrollment_id=enrollment_id, name=name, status=status, minutes=h.minutes,
            hours=float(h.hours), ratio=float(attendance_ratio(h.minutes, required)),
            enough=enough_hours(h.minutes, required=required, min_ratio=ev.min_ratio),
            late=h.count("late"), left_early=h.count("left_early"),
            missing_checkouts=h.count("missing_checkout"),
            at_risk=list(risk.reasons) if risk else [], warned=warned.get(enrollment_id, []),
            sessions=[SessionMinutes(date=s.day, no=s.no, minutes=s.minutes, planned=s.planned,
                                     late=s.late, left_early=s.left_early,
                                     missing_checkout=s.missing_checkout,
                                     overridden=s.overridden) for s in h.sessions]))
    return ClassHoursOut(class_id=class_id, planned_minutes=planned_minutes(ev.sessions),
                         required_minutes=required, min_attendance_ratio=float(ev.min_ratio),
                         by_checkin=ev.has_checkins, items=items)


async def set_min_ratio(
    course_id: UUID, cmd: SetMinAttendance, *, deps: Deps
) -> MinAttendanceOut:
    """Set a course's minimum share of required hours for a certifiable pass."""
    ratio = cmd.min_attendance_ratio

    async def work(uow: UnitOfWork) -> MinAttendanceOut:
        if not await course_repo.set_min_attendance_ratio(uow.conn, course_id, ratio):
            raise NotFound("There is no such course.", code="unknown_course")
        return MinAttendanceOut(course_id=course_id, min_attendance_ratio=float(ratio))

    return await in_transaction(deps.uows, work)


def assess_by_hours(
    evidence: ClassEvidence, enrollment_id: UUID, assessment: Assessment, *, tz: str
) -> tuple[Assessment, Decimal]:
    """Return the assessment of a class taught with check-ins: eligible only with the
    course's minimum share of the required hours; and the hours attended."""
    h = evidence.hours_of(enrollment_id, tz=tz)
    ratio = attendance_ratio(h.minutes, evidence.required)
    enough = enough_hours(h.minutes, required=evidence.required, min_ratio=evidence.min_ratio)
    return replace(assessment, rate=ratio, threshold=evidence.min_ratio,
                   hours_enough=enough), h.hours

