"""Training hours from check-ins: minutes per session, missing check-outs, the day tick as
override, risks, and the release of results gated on the course's minimum (insufficient_hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from services.enrollment.domain.checkin import Attendance
from services.enrollment.domain.hours import hours_at_risk, required_minutes, trainee_hours
from services.enrollment.domain.results import Assessment
from services.enrollment.domain.sessions import Session, sessions_of
from services.enrollment.handlers.hours import assess_by_hours
from services.enrollment.handlers.warnings import warn_hours_at_risk
from services.enrollment.views.hours import ClassEvidence
from shared.ids import new_id
from tests.enrollment.support import Service
from tests.enrollment.test_checkins import at

TZ = "Asia/Shanghai"
DAY1, DAY2 = date(2025, 6, 9), date(2025, 6, 10)
SESSIONS = sessions_of([DAY1, DAY2], {})


def local(day: date, clock: str) -> datetime:
    return at(day.isoformat(), clock)


def came(day: date, start: str, end: str | None, *, confirmed: bool = False) -> Attendance:
    return Attendance(local(day, start), local(day, end) if end else None, "self",
                      "self" if end else None, confirmed_to_end=confirmed)


def test_minutes_are_the_overlap_of_check_in_and_out_with_each_session() -> None:
    h = trainee_hours(SESSIONS, {(DAY1, 1): came(DAY1, "09:10", "11:40"),
                                 (DAY1, 2): came(DAY1, "13:50", "17:05")}, tz=TZ)
    first, second = h.sessions[:2]
    assert (first.minutes, first.late, first.left_early) == (150, True, True)
    assert (second.minutes, second.late, second.left_early) == (180, False, False)
    assert (h.minutes, h.planned, h.hours) == (330, 720, Decimal("5.5"))
    assert (h.count("late"), h.count("left_early")) == (1, 1)


def test_a_missing_check_out_counts_to_the_end_only_when_the_trainer_confirms() -> None:
    open_ended = trainee_hours(SESSIONS, {(DAY1, 1): came(DAY1, "09:30", None)}, tz=TZ)
    assert (open_ended.minutes, open_ended.count("missing_checkout")) == (0, 1)
    confirmed = trainee_hours(
        SESSIONS, {(DAY1, 1): came(DAY1, "09:30", None, confirmed=True)}, tz=TZ)
    assert (confirmed.minutes, confirmed.count("missing_checkout")) == (150, 0)


def test_the_trainers_day_tick_overrides_that_days_check_ins() -> None:
    h = trainee_hours(SESSIONS, {(DAY1, 1): came(DAY1, "09:00", "12:00")}, tz=TZ,
                      ticks={DAY1: "absent", DAY2: "present"})
    assert [s.minutes for s in h.sessions] == [0, 0, 180, 180]
    assert all(s.overridden for s in h.sessions)


def test_risk_when_the_minimum_is_out_of_reach_or_two_sessions_in_a_row_are_missed() -> None:
    required = required_minutes(Decimal(12), 720)
    after_day1 = local(DAY1, "17:00")
    missed_both = trainee_hours(SESSIONS, {}, tz=TZ)
    risk = hours_at_risk(missed_both, SESSIONS, now=after_day1, tz=TZ, required=required,
                         min_ratio=Decimal("0.9"))
    assert risk is not None
    assert risk.reasons == ("cannot_reach_minimum", "missed_two_in_a_row")
    assert [(m.day, m.no) for m in risk.missed] == [(DAY1, 1), (DAY1, 2)]
    one_missed = trainee_hours(SESSIONS, {(DAY1, 1): came(DAY1, "09:00", "12:00")}, tz=TZ)
    assert hours_at_risk(one_missed, SESSIONS, now=after_day1, tz=TZ, required=required,
                         min_ratio=Decimal("0.5")) is None
    at_75 = hours_at_risk(one_missed, SESSIONS, now=after_day1, tz=TZ, required=required,
                          min_ratio=Decimal("0.9"))
    assert at_75 is not None
    assert at_75.reasons == ("cannot_reach_minimum",)


def test_required_minutes_are_the_courses_hours_or_the_planned_ones_when_fewer() -> None:
    assert required_minutes(Decimal(40), 720) == 720
    assert required_minutes(Decimal("10.5"), 720) == 630


# The class's two sessions a day, from check-in to check-out when attended in full.
FULL = {1: ("09:00", "12:00"), 2: ("14:00", "17:00")}


@dataclass(frozen=True)
class TwoDayClass:
    """A class of two days (four sessions) of a 12-hour course, its trainees enrolled."""

    svc: Service
    admin: str
    trainer: str
    class_id: str
    course_id: str
    ids: list[str]  # the enrolments, in the order of the names given
    days: list[date]

    @classmethod
    async def create(cls, svc: Service, names: list[str]) -> TwoDayClass:
        """Publish the course and schedule the class a week from now; enrol `names`."""
        admin = await svc.admin_token()
        trainer_id, trainer = await svc.add_user("trainer", name="王老师")
        course = await svc.create_course(admin, required_hours=12)
        start = svc.clock.now().date() + timedelta(days=7)
        made = await svc.create_class(admin, course_id=course["id"],
                                      trainer_ids=[str(trainer_id)],
                                      starts_on=start.isoformat(),
                                      ends_on=(start + timedelta(days=1)).isoformat())
        ids = []
        for name in names:
            _, token = await svc.add_user(name=name)
            ids.append((await svc.enrol(token, made["id"])).body["id"])
        return cls(svc, admin, trainer, made["id"], course["id"], ids,
                   [date.fromisoformat(d) for d in made["schedule_days"]])

    async def record(self, who: int, day: date, no: int, came_at: str | None,
                     left_at: str | None, **extra: Any) -> None:
        """Trainer: record trainee `who`'s check-in and check-out of one session by hand."""
        body: dict[str, Any] = {"reason": "现场签到表补录", **extra}
        if came_at:
            body["checked_in_at"] = local(day, came_at).isoformat()
        if left_at:
            body["checked_out_at"] = local(day, left_at).isoformat()
        url = f"/api/v1/classes/{self.class_id}/sessions/{day}/{no}/checkins/{self.ids[who]}"
        reply = await self.svc.call("PUT", url, token=self.trainer, json_body=body)
        assert reply.status == 200, reply.body

    async def attend(self, who: int, *sessions: tuple[date, int]) -> None:
        """Record trainee `who` present for the whole of each (day, session number)."""
        for day, no in sessions:
            await self.record(who, day, no, *FULL[no])

    async def hours(self) -> dict[str, Any]:
        """Trainer: the class's hours as the API shows them."""
        url = f"/api/v1/classes/{self.class_id}/hours"
        reply = await self.svc.call("GET", url, token=self.trainer)
        assert reply.status == 200, reply.body
        hours: dict[str, Any] = reply.body
        return hours


async def events_of(svc: Service, enrollment_id: str, event_type: str) -> list[dict[str, Any]]:
    """Return the envelopes of one type the enrolment announced, oldest first."""
    return [e for e in await svc.events(enrollment_id) if e["type"] == event_type]


async def test_the_roster_hours_add_up_two_sessions_and_wait_for_a_confirmed_check_out(
    svc: Service,
) -> None:
    klass = await TwoDayClass.create(svc, ["甲", "乙"])
    d1, d2 = klass.days
    svc.clock.set(local(d2, "18:00"))
    await klass.record(0, d1, 1, "09:10", "12:00")
    await klass.record(0, d1, 2, "14:00", "16:30")
    await klass.record(1, d1, 1, "09:00", None)
    hours = await klass.hours()
    assert (hours["planned_minutes"], hours["required_minutes"], hours["by_checkin"]) == (
        720, 720, True)
    first, second = hours["items"]
    assert (first["name"], first["minutes"], first["late"], first["left_early"]) == (
        "甲", 320, 1, 1)
    assert [s["minutes"] for s in first["sessions"]] == [170, 150, 0, 0]
    assert (second["minutes"], second["missing_checkouts"]) == (0, 1)
    assert second["at_risk"] == ["cannot_reach_minimum", "missed_two_in_a_row"]
    await klass.record(1, d1, 1, None, None, confirm_to_end=True)
    after = (await klass.hours())["items"][1]
    assert (after["minutes"], after["missing_checkouts"]) == (180, 0)


async def test_release_refuses_a_certifiable_pass_without_the_minimum_hours(
    svc: Service,
) -> None:
    klass = await TwoDayClass.create(svc, ["全勤", "缺课"])
    d1, d2 = klass.days
    svc.clock.set(local(d2, "18:00"))
    await klass.attend(0, (d1, 1), (d1, 2), (d2, 1), (d2, 2))
    await klass.attend(1, (d1, 1), (d1, 2), (d2, 1))  # 540 of 720 min: 75 %
    for enrollment_id in klass.ids:
        scored = await svc.call("PUT", f"/api/v1/enrollments/{enrollment_id}/result",
                                token=klass.trainer,
                                json_body={"theory_score": 90, "practical_score": 90})
        assert scored.status == 200
    released = await svc.call("POST", f"/api/v1/classes/{klass.class_id}/release-results",
                              token=klass.trainer)
    assert released.status == 200, released.body
    full, short = [(await events_of(svc, i, "enrollment.completed"))[-1] for i in klass.ids]
    assert (full["data"]["passed"], full["data"]["hours_attended"]) == (True, 12.0)
    assert (short["data"]["passed"], short["data"]["hours_attended"]) == (False, 9.0)
    assert short["data"]["attendance_rate"] == 0.75
    assert released.body["insufficient_hours"] == [klass.ids[1]]


async def test_a_completion_names_whoever_recorded_a_check_in_by_hand(svc: Service) -> None:
    """Check-ins decide the hours: an admin who recorded one may not approve the result."""
    klass = await TwoDayClass.create(svc, ["全勤"])
    d1, d2 = klass.days
    svc.clock.set(local(d2, "18:00"))
    await klass.attend(0, (d1, 1), (d1, 2), (d2, 1))
    admin_id, admin = await svc.add_user("admin", name="补录员")
    url = f"/api/v1/classes/{klass.class_id}/sessions/{d2}/2/checkins/{klass.ids[0]}"
    recorded = await svc.call("PUT", url, token=admin, json_body={
        "checked_in_at": local(d2, "14:00").isoformat(),
        "checked_out_at": local(d2, "17:00").isoformat(), "reason": "现场签到表补录"})
    assert recorded.status == 200, recorded.body
    scored = await svc.call("PUT", f"/api/v1/enrollments/{klass.ids[0]}/result",
                            token=klass.trainer,
                            json_body={"theory_score": 90, "practical_score": 90})
    assert scored.status == 200, scored.body
    released = await svc.call("POST", f"/api/v1/classes/{klass.class_id}/release-results",
                              token=klass.trainer)
    assert released.status == 200, released.body
    [done] = await events_of(svc, klass.ids[0], "enrollment.completed")
    assert done["data"]["passed"] is True
    markers = done["data"]["attendance_markers"]
    assert str(admin_id) in markers
    assert len(markers) == 2  # and the trainer who recorded the other sessions


async def test_a_course_may_lower_its_minimum_attendance(svc: Service) -> None:
    klass = await TwoDayClass.create(svc, ["缺课"])
    url = f"/api/v1/courses/{klass.course_id}/min-attendance"
    set_to = await svc.call("PUT", url, token=klass.admin, json_body={"min_attendance_ratio": 0.7})
    assert set_to.status == 200, set_to.body
    d1, d2 = klass.days
    svc.clock.set(local(d2, "18:00"))
    await klass.attend(0, (d1, 1), (d1, 2), (d2, 1))
    hours = await klass.hours()
    assert (hours["min_attendance_ratio"], hours["items"][0]["enough"]) == (0.7, True)
    refused = await svc.call("PUT", url, token=klass.trainer,
                             json_body={"min_attendance_ratio": 0.7})
    assert refused.status == 403


def test_the_exact_minutes_decide_eligibility_not_the_rounded_ratio() -> None:
    days = [DAY1 + timedelta(days=i) for i in range(100)]  # 36,000 planned minutes
    evidence = ClassEvidence(sessions_of(days, {}), Decimal(1000), Decimal("0.9"))
    short, enough = new_id(), new_id()
    ticks = dict.fromkeys(days[:89], "present")
    evidence.ticks.update({short: ticks, enough: ticks})
    evidence.states[short] = {(days[89], 1): came(days[89], "09:01", "12:00"),
                              (days[89], 2): came(days[89], "14:00", "17:00")}
    evidence.states[enough] = {(days[89], 1): came(days[89], "09:00", "12:00"),
                               (days[89], 2): came(days[89], "14:00", "17:00")}
    scored = Assessment(Decimal(0), Decimal("0.8"), Decimal(80), Decimal(80), Decimal(60),
                        Decimal(60))
    a, _ = assess_by_hours(evidence, short, scored, tz=TZ)  # 32,399 of 32,400 minutes
    assert (a.rate, a.threshold, a.eligible, a.passed) == (
        Decimal("0.9000"), Decimal("0.9"), False, False)
    b, _ = assess_by_hours(evidence, enough, scored, tz=TZ)
    assert (b.rate, b.threshold, b.eligible, b.passed) == (
        Decimal("0.9000"), Decimal("0.9"), True, True)


def test_session_times_are_local_times_of_the_business_time_zone() -> None:
    s = Session(DAY1, 1, time(9), time(12))
    assert (s.start(TZ), s.minutes()) == (datetime(2025, 6, 9, 1, 0, tzinfo=UTC), 180)


async def test_a_trainee_who_misses_two_sessions_in_a_row_is_warned_once_per_reason(
    svc: Service,
) -> None:
    klass = await TwoDayClass.create(svc, ["出席", "缺席"])
    d1, _ = klass.days
    svc.clock.set(local(d1, "17:10"))
    await klass.attend(0, (d1, 1), (d1, 2))
    await warn_hours_at_risk(deps=svc.deps)  # other tests' classes of these days may warn too
    warnings = await events_of(svc, klass.ids[1], "enrollment.hours_at_risk")
    assert len(warnings) == 1
    data = warnings[0]["data"]
    assert data["missed_dates"] == [d1.isoformat()]
    assert data["reasons"] == ["cannot_reach_minimum", "missed_two_in_a_row"]
    assert (data["minutes_attended"], data["required_minutes"]) == (0, 720)
    assert await events_of(svc, klass.ids[0], "enrollment.hours_at_risk") == []
    assert await warn_hours_at_risk(deps=svc.deps) == 0  # told once per reason
    assert len(await events_of(svc, klass.ids[1], "enrollment.hours_at_risk")) == 1
    hours = await klass.hours()
    assert [(i["name"], i["warned"]) for i in hours["items"]] == [
        ("出席", []), ("缺席", ["cannot_reach_minimum", "missed_two_in_a_row"])]
