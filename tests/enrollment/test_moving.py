"""A confirmed trainee moves to another class of the same course (改期) in one step: one
enrolment throughout, announced as enrollment.rescheduled with the new class; the freed seat
goes to the old class's waitlist; refused after the cut-off, into a full class or another
course, and for anything but a confirmed seat."""

from __future__ import annotations

from typing import Any

from tests.enrollment.support import Service, today_plus


async def _class(svc: Service, admin: str, course_id: str, *, days: int, capacity: int,
                 **fields: Any) -> dict[str, Any]:
    day = today_plus(svc.clock, days).isoformat()
    return await svc.create_class(admin, course_id=course_id, capacity=capacity, starts_on=day,
                                  ends_on=day, **fields)


async def _confirmed(svc: Service, class_id: str) -> tuple[str, str]:
    _, token = await svc.add_user()
    reply = await svc.enrol(token, class_id)
    assert reply.body["status"] == "confirmed", reply.body
    return token, reply.body["id"]


async def _move(svc: Service, token: str, enrollment_id: str, class_id: str) -> Any:
    return await svc.call("POST", f"/api/v1/enrollments/{enrollment_id}/move", token=token,
                          json_body={"class_id": class_id})


async def test_a_move_keeps_one_enrolment_announces_the_new_class_and_frees_the_old_seat(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin, required_hours=8)
    old = await _class(svc, admin, course["id"], days=7, capacity=1)
    new = await _class(svc, admin, course["id"], days=10, capacity=2)
    mover, enrollment_id = await _confirmed(svc, old["id"])
    _, waiting = await svc.add_user()
    queued = (await svc.enrol(waiting, old["id"])).body
    assert queued["status"] == "waitlisted"

    moved = await _move(svc, mover, enrollment_id, new["id"])
    assert moved.status == 200, moved.body
    assert (moved.body["id"], moved.body["class_id"], moved.body["status"]) == (
        enrollment_id, new["id"], "confirmed")
    events = await svc.events(enrollment_id)
    assert [e["type"] for e in events] == ["enrollment.confirmed", "enrollment.rescheduled"]
    news = events[-1]["data"]
    assert news["class_info"]["class_id"] == new["id"]
    assert news["previous_starts_on"] == old["starts_on"]
    assert news["seq"] == 2
    assert [e["type"] for e in await svc.events(queued["id"])][-1] == "enrollment.promoted"
    assert await svc.status_of(queued["id"]) == ("confirmed", None)
    seats = {c: (await svc.call("GET", f"/api/v1/classes/{c}")).body
             for c in (old["id"], new["id"])}
    assert (seats[old["id"]]["seats_left"], seats[old["id"]]["waitlist_length"]) == (0, 0)
    assert seats[new["id"]]["seats_left"] == 1
    mine = (await svc.call("GET", "/api/v1/me/enrollments", token=mover)).body["items"]
    assert [(e["class_id"], e["status"]) for e in mine] == [(new["id"], "confirmed")]

    again = await _move(svc, mover, enrollment_id, new["id"])  # a retry changes nothing
    assert (again.status, again.body["class_id"]) == (200, new["id"])
    assert len(await svc.events(enrollment_id)) == 2


async def test_moves_close_the_day_before_the_first_class_day_or_the_courses_cut_off(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin, required_hours=8)
    tomorrow = await _class(svc, admin, course["id"], days=1, capacity=5)
    later = await _class(svc, admin, course["id"], days=5, capacity=5)
    token, enrollment_id = await _confirmed(svc, tomorrow["id"])
    reply = await _move(svc, token, enrollment_id, later["id"])
    assert (reply.status, reply.body["code"]) == (409, "move_cutoff_passed")
    token, enrollment_id = await _confirmed(svc, later["id"])
    reply = await _move(svc, token, enrollment_id, tomorrow["id"])
    assert (reply.status, reply.body["code"]) == (409, "move_cutoff_passed")
    day_after = await _class(svc, admin, course["id"], days=2, capacity=5)
    assert (await _move(svc, token, enrollment_id, day_after["id"])).status == 200

    strict = await svc.create_course(admin, required_hours=8, move_cutoff_days=3)
    assert strict["move_cutoff_days"] == 3
    in_three = await _class(svc, admin, strict["id"], days=3, capacity=5)
    in_four = await _class(svc, admin, strict["id"], days=4, capacity=5)
    token, enrollment_id = await _confirmed(svc, in_four["id"])
    reply = await _move(svc, token, enrollment_id, in_three["id"])
    assert (reply.status, reply.body["code"]) == (409, "move_cutoff_passed")


async def test_a_move_is_refused_into_a_full_class_another_course_or_from_the_waitlist(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin, required_hours=8)
    other = await svc.create_course(admin, required_hours=8)
    here = await _class(svc, admin, course["id"], days=6, capacity=1)
    full = await _class(svc, admin, course["id"], days=8, capacity=1)
    elsewhere = await _class(svc, admin, other["id"], days=8, capacity=5)
    await _confirmed(svc, full["id"])
    token, enrollment_id = await _confirmed(svc, here["id"])
    reply = await _move(svc, token, enrollment_id, full["id"])
    assert (reply.status, reply.body["code"]) == (409, "move_class_full")
    reply = await _move(svc, token, enrollment_id, elsewhere["id"])
    assert (reply.status, reply.body["code"]) == (422, "move_other_course")
    _, waiting = await svc.add_user()
    queued = (await svc.enrol(waiting, here["id"])).body
    roomy = await _class(svc, admin, course["id"], days=9, capacity=5)
    reply = await _move(svc, waiting, queued["id"], roomy["id"])
    assert (reply.status, reply.body["code"]) == (409, "move_not_confirmed")
    _, stranger = await svc.add_user()
    reply = await _move(svc, stranger, enrollment_id, roomy["id"])
    assert (reply.status, reply.body["code"]) == (404, "enrollment_not_found")
    assert len(await svc.events(enrollment_id)) == 1  # nothing moved


async def test_a_move_follows_the_new_classs_rules_and_one_enrolment_per_class(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin, required_hours=8)
    here = await _class(svc, admin, course["id"], days=6, capacity=5)
    members = await _class(svc, admin, course["id"], days=8, capacity=5, union_members_only=True)
    token, enrollment_id = await _confirmed(svc, here["id"])
    reply = await _move(svc, token, enrollment_id, members["id"])
    assert (reply.status, reply.body["code"]) == (403, "union_members_only")
    there = await _class(svc, admin, course["id"], days=9, capacity=5)
    assert (await svc.enrol(token, there["id"])).body["status"] == "confirmed"
    reply = await _move(svc, token, enrollment_id, there["id"])
    assert (reply.status, reply.body["code"]) == (409, "already_enrolled")
    assert len(await svc.events(enrollment_id)) == 1


async def test_a_move_never_jumps_a_lottery_classs_draw(svc: Service) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin, required_hours=8)
    here = await _class(svc, admin, course["id"], days=6, capacity=5)
    drawn = await _class(svc, admin, course["id"], days=9, capacity=5)
    allocation = await svc.call("PUT", f"/api/v1/classes/{drawn['id']}/allocation", token=admin,
                                json_body={"mode": "lottery"})
    assert allocation.status == 200, allocation.body
    token, enrollment_id = await _confirmed(svc, here["id"])
    reply = await _move(svc, token, enrollment_id, drawn["id"])
    assert (reply.status, reply.body["code"]) == (409, "lottery_class")
