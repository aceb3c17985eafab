"""Administrators schedule classes from today on; the enrolment window follows the start."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tests.enrollment.support import Service, today_plus
from tests.support.http import SHANGHAI

# The fake clock stands at 10:00 in Shanghai, so today's local date is its UTC date.


async def test_a_class_starting_today_takes_enrolments_until_the_end_of_its_first_day(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    today = today_plus(svc.clock, 0)
    reply = await svc.call("POST", "/api/v1/classes", token=admin, json_body={
        "course_id": (await svc.create_course(admin, required_hours=8))["id"], "capacity": 5,
        "starts_on": today.isoformat(), "ends_on": today.isoformat(), "venue": "工人文化宫 301"})
    assert reply.status == 201, reply.body
    closes = datetime.combine(today + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    assert datetime.fromisoformat(reply.body["enroll_closes_at"]) == closes
    svc.clock.advance(hours=5)  # 15:00 in Shanghai: the class is running, trainees still join
    _, trainee = await svc.add_user()
    assert (await svc.enrol(trainee, reply.body["id"])).body["status"] == "confirmed"
    svc.clock.set(closes)
    _, late_one = await svc.add_user()
    late = await svc.enrol(late_one, reply.body["id"])
    assert (late.status, late.body["code"]) == (409, "enrolment_closed")
    by_admin = await svc.call("POST", f"/api/v1/classes/{reply.body['id']}/enrollments",
                              token=admin, json_body={"phone": "13912345670", "name": "当天学员"})
    assert by_admin.body["status"] == "confirmed"


async def test_a_class_starting_later_closes_enrolment_when_its_first_day_begins(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    starts = today_plus(svc.clock, 3)
    reply = await svc.call("POST", "/api/v1/classes", token=admin, json_body={
        "course_id": (await svc.create_course(admin, required_hours=8))["id"], "capacity": 5,
        "starts_on": starts.isoformat(), "ends_on": starts.isoformat(), "venue": "工人文化宫 301"})
    assert reply.status == 201, reply.body
    assert datetime.fromisoformat(reply.body["enroll_closes_at"]) == datetime.combine(
        starts, time(0), tzinfo=SHANGHAI)


async def test_a_class_starting_in_the_past_is_refused_as_a_schedule_error(svc: Service) -> None:
    admin = await svc.admin_token()
    yesterday = today_plus(svc.clock, -1).isoformat()
    reply = await svc.call("POST", "/api/v1/classes", token=admin, json_body={
        "course_id": (await svc.create_course(admin))["id"], "capacity": 5,
        "starts_on": yesterday, "ends_on": yesterday, "venue": "工人文化宫 301"})
    assert reply.status == 422
    assert reply.body["code"] == "invalid_schedule"
    assert "past" in reply.body["detail"]


async def test_a_given_window_still_has_to_close_after_it_opens(svc: Service) -> None:
    admin = await svc.admin_token()
    opens = svc.clock.now() + timedelta(hours=2)
    reply = await svc.call("POST", "/api/v1/classes", token=admin, json_body={
        "course_id": (await svc.create_course(admin))["id"], "capacity": 5,
        "starts_on": today_plus(svc.clock, 3).isoformat(),
        "ends_on": today_plus(svc.clock, 3).isoformat(), "venue": "工人文化宫 301",
        "enroll_opens_at": opens.isoformat(),
        "enroll_closes_at": (opens - timedelta(hours=1)).isoformat()})
    assert (reply.status, reply.body["code"]) == (422, "invalid_enrolment_window")
