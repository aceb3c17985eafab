"""Attendance per class day, scores, and the release of results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from services.enrollment.commands import EnterResult, MarkAttendance
from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import ON_ROSTER, Action, Actor, Status, require
from services.enrollment.domain.results import (
    Assessment,
    attendance_rate,
    check_class_day,
    check_releasable,
    days_without_attendance,
    hours_attended,
)
from services.enrollment.domain.schedule import local_today
from services.enrollment.handlers.access import require_class_staff
from services.enrollment.handlers.events import emit
from services.enrollment.handlers.hours import assess_by_hours
from services.enrollment.handlers.locks import lock_enrolment_class
from services.enrollment.repository import Row
from services.enrollment.repository import catalogue as class_repo
from services.enrollment.repository import enrollments as enrollment_repo
from services.enrollment.repository import results as repo
from services.enrollment.views.hours import class_evidence
from services.enrollment.views.models import AttendanceOut, ReleaseOut
from shared.auth import Principal
from shared.errors import InvalidState, NotFound, ValidationFailed
from shared.events.catalog import (
    CourseInfo,
    EnrollmentAttended,
    EnrollmentCompleted,
    EnrollmentNoShow,
    IdentityDocument,
)
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def _staff_lock(uow: UnitOfWork, class_id: UUID, actor: Principal) -> Row:
    cls = await class_repo.lock_class(uow.conn, class_id)
    if cls is None:
        raise NotFound("There is no such class.", code="class_not_found")
    return _require_staff(cls, actor)


def _require_staff(cls: Row, actor: Principal) -> Row:
    require_class_staff(actor, cls["trainer_ids"])
    if cls["status"] == "cancelled":
        raise InvalidState("This class has been cancelled.", code="class_cancelled")
    return cls


async def mark_attendance(
    class_id: UUID, day: date, cmd: MarkAttendance, *, deps: Deps, actor: Principal
) -> AttendanceOut:
    """Record one class day's attendance; a first present or late mark means 'attended'."""
    now = deps.clock.now()
    marks = {r.enrollment_id: r.status for r in cmd.records}  # the last mark of an id wins

    async def work(uow: UnitOfWork) -> None:
        cls = await _staff_lock(uow, class_id, actor)
        check_class_day(day, cls["class_days"])
        if day > local_today(now, deps.tz):
            raise ValidationFailed("Attendance cannot be marked for a future day.",
                                   code="day_in_future")
        statuses = await repo.enrollments_in_class(uow.conn, class_id, list(marks))
        unknown = [str(i) for i in marks if Status(statuses.get(i, "cancelled")) not in ON_ROSTER]
        if unknown:
            raise ValidationFailed("Some enrolments hold no seat in this class.",
                                   code="unknown_enrollment", enrollment_ids=unknown)
        await repo.upsert_attendance(uow.conn, day, list(marks.items()), marked_by=actor.user_id,
                                     now=now)
        came = [i for i, s in marks.items() if s in ("present", "late")
                and statuses[i] == Status.CONFIRMED]
        who = Actor(actor.user_id, actor.role)
        for row in await enrollment_repo.event_rows(uow.conn, came):
            await emit(uow, row, EnrollmentAttended, to_status=Status.ATTENDED, actor=who,
                       now=now, tz=deps.tz)

    await in_transaction(deps.uows, work)
    return AttendanceOut(
        class_id=class_id, date=day,
        records=[{"enrollment_id": str(i), "status": s} for i, s in marks.items()],
    )


async def enter_result(
    enrollment_id: UUID, cmd: EnterResult, *, deps: Deps, actor: Principal
) -> None:
    """Enter or correct scores; a correction after release goes out at the next release."""

    async def work(uow: UnitOfWork) -> None:
        locked = await lock_enrolment_class(uow.conn, enrollment_id)
        if locked is None:
            raise NotFound("There is no such enrolment.", code="enrollment_not_found")
        _require_staff(locked[1], actor)
        row = (await enrollment_repo.event_rows(uow.conn, [enrollment_id]))[0]
        if Status(row["status"]) not in ON_ROSTER:
            raise InvalidState("This enrolment holds no seat in the class.",
                               code="not_on_roster", status_now=row["status"])
        await repo.set_scores(uow.conn, enrollment_id, theory=cmd.theory_score,
                              practical=cmd.practical_score, now=deps.clock.now(),
                              by=actor.user_id)

    await in_transaction(deps.uows, work)


@dataclass
class _Tally:
    completed: int = 0
    corrected: int = 0
    no_show: int = 0
    unchanged: int = 0


async def release_results(class_id: UUID, *, deps: Deps, actor: Principal) -> ReleaseOut:
    """Release a class's results: one completion (or no-show) event per enrolment; a changed
    result of an earlier release is re-sent with the next result_version."""
    now = deps.clock.now()
    who = Actor(actor.user_id, actor.role)

    async def work(uow: UnitOfWork) -> ReleaseOut:
        cls = await _staff_lock(uow, class_id, actor)
        today = local_today(now, deps.tz)
        check_releasable(today, starts_on=cls["starts_on"], ends_on=cls["ends_on"])
        course = await class_repo.course_by_id(uow.conn, cls["course_id"])
        assert course is not None
        rows = await enrollment_repo.class_event_rows(uow.conn, class_id, list(ON_ROSTER))
        marks = await repo.class_marks(uow.conn, class_id)
        evidence = await class_evidence(uow.conn, class_id)
        by_checkin = evidence is not None and evidence.has_checkins
        checked_in = evidence.days_with_checkins() if evidence and by_checkin else set()
        _check_attendance_taken(cls, [marks.get(r["id"], {}) for r in rows]
                                + [dict.fromkeys(checked_in, "present")], today)
        assessed = [(r, *_assess(r, cls, marks.get(r["id"], {}))) for r in rows]
        if evidence and by_checkin:  # hours from check-ins decide; day ticks override a day
            assessed = [(r, *assess_by_hours(evidence, r["id"], a, tz=deps.tz))
                        for r, a, _ in assessed]
        missing = [str(r["id"]) for r, a, hours in assessed
                   if hours > 0 and a.eligible and not a.scored]
        if missing:
            raise InvalidState("Some eligible trainees have no scores yet.",
                               code="results_incomplete", enrollment_ids=missing)
        tally = _Tally()
        authors = await repo.authors(uow.conn, [r["id"] for r in rows])
        for row, assessment, hours in assessed:
            await _release_one(uow, deps, row, assessment, hours, cls=cls, course=course,
                               actor=who, now=now, tally=tally,
                               authors=authors.get(row["id"], repo.Authors()))
        await class_repo.mark_released(uow.conn, class_id, now)
        short = [r["id"] for r, a, hours in assessed if by_checkin and hours and not a.eligible]
        return ReleaseOut(class_id=class_id, completed=tally.completed,
                          corrected=tally.corrected, no_show=tally.no_show,
                          unchanged=tally.unchanged, insufficient_hours=short)

    released = await in_transaction(deps.uows, work)
    log.info("results_released", class_id=str(class_id), completed=released.completed,
             corrected=released.corrected, no_show=released.no_show,
             unchanged=released.unchanged)
    return released


def _check_attendance_taken(cls: Row, marks: list[dict[date, str]], today: date) -> None:
    # A day nobody was marked on would count every trainee absent: attendance was not taken.
    unmarked = days_without_attendance(cls["class_days"], marks, today=today) if marks else []
    if unmarked:
        raise InvalidState("Attendance has not been taken on some class days.",
                           code="attendance_incomplete", dates=[d.isoformat() for d in unmarked])


def _assess(
    row: Row, cls: Row, marks: dict[date, str]
) -> tuple[Assessment, Decimal]:
    threshold = cls["attendance_threshold"]
    if threshold is None:
        threshold = cls["course_threshold"]
    assessment = Assessment(
        rate=attendance_rate(marks, days=len(cls["class_days"])), threshold=threshold,
        theory=repo.as_decimal(row["theory_score"]),
        practical=repo.as_decimal(row["practical_score"]),
        theory_pass=cls["theory_pass"], practical_pass=cls["practical_pass"],
    )
    return assessment, hours_attended(marks, hours_per_day=cls["hours_per_day"])


async def _release_one(
    uow: UnitOfWork, deps: Deps, row: Row, a: Assessment, hours: Decimal, *,
    cls: Row, course: Row, actor: Actor, now: datetime,
    tally: _Tally, authors: repo.Authors,
) -> None:
    status = Status(row["status"])
    if hours == 0 and status in (Status.CONFIRMED, Status.NO_SHOW):
        if status is Status.CONFIRMED:
            require(status, Action.NO_SHOW)
            await emit(uow, row, EnrollmentNoShow, to_status=Status.NO_SHOW, actor=actor,
                       now=now, tz=deps.tz)
            tally.no_show += 1
        else:
            tally.unchanged += 1
        return
    fingerprint = a.fingerprint(hours)
    if row["result_version"] > 0 and row["result_fingerprint"] == fingerprint:
        tally.unchanged += 1
        return
    require(status, Action.COMPLETE)
    version = row["result_version"] + 1
    await emit(uow, row, EnrollmentCompleted, to_status=Status.COMPLETED, actor=actor, now=now,
               tz=deps.tz, reason="passed" if a.passed else "failed", fields={
                   "result_version": version,
                   "course": _course_info(course),
                   "identity": _identity(deps, row),
                   "trainer_ids": list(cls["trainer_ids"]),
                   "theory_score": a.theory, "practical_score": a.practical,
                   "hours_attended": hours, "attendance_rate": a.rate,
                   "passed": a.passed, "released_at": now,
                   "released_by": actor.id, "scored_by": row["scored_by"],
                   "scorers": authors.scorers,
                   "attendance_markers": authors.attendance_markers})
    await repo.record_result(uow.conn, row["id"], passed=a.passed, version=version,
                             fingerprint=fingerprint, now=now)
    if version == 1:
        tally.completed += 1
    else:
        tally.corrected += 1


def _course_info(c: Row) -> CourseInfo:
    return CourseInfo(
        course_id=c["id"], code=c["code"], title_zh=c["title_zh"], title_en=c["title_en"],
        category=c["category"], occupation_code=c["occupation_code"],
        occupation_name=c["occupation_name"], work_type=c["work_type"], level=c["level"],
        required_hours=float(c["required_hours"]),
        certificate_validity_months=c["certificate_validity_months"],
        issue_policy=c["issue_policy"], certificate_kind=c["certificate_kind"],
    )


def _identity(deps: Deps, row: Row) -> IdentityDocument | None:
    if row["id_type"] is None or row["id_number_encrypted"] is None:
        return None
    return IdentityDocument(
        id_type=row["id_type"], number_masked=row["id_number_masked"],
        number_encrypted=deps.ciphers.for_transport(row["id_number_encrypted"]),
    )
