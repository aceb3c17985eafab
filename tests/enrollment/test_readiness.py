"""Before enrolment opens a trainee learns whether one tap will enrol them, judged by the same
rules as the enrolment itself, and the service's clock for the countdown."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.ids import new_id
from tests.enrollment.support import Service


async def _class_opening_in_two_hours(svc: Service, **fields: object) -> tuple[str, datetime]:
    admin = await svc.admin_token()
    opens = svc.clock.now() + timedelta(hours=2)
    made = await svc.create_class(admin, enroll_opens_at=opens.isoformat(), **fields)
    return made["id"], opens


async def test_a_trainee_with_a_name_is_ready_before_the_opening_and_enrols_at_it(
    svc: Service,
) -> None:
    class_id, opens = await _class_opening_in_two_hours(svc)
    _, trainee = await svc.add_user()
    ahead = await svc.call("GET", f"/api/v1/classes/{class_id}/readiness", token=trainee)
    assert ahead.status == 200, ahead.body
    assert (ahead.body["ready"], ahead.body["code"], ahead.body["open_now"]) == (True, None, False)
    assert datetime.fromisoformat(ahead.body["enroll_opens_at"]) == opens
    assert datetime.fromisoformat(ahead.body["server_time"]) == svc.clock.now()
    early = await svc.enrol(trainee, class_id)
    assert (early.status, early.body["code"]) == (409, "enrolment_not_open")

    svc.clock.advance(hours=2)
    assert (await svc.call("GET", f"/api/v1/classes/{class_id}/readiness",
                           token=trainee)).body["open_now"] is True
    enrolled = await svc.enrol(trainee, class_id, key=f"k-{new_id()}")
    assert enrolled.status == 201
    after = await svc.call("GET", f"/api/v1/classes/{class_id}/readiness", token=trainee)
    assert (after.body["ready"], after.body["code"], after.body["open_now"]) == (
        False, "already_enrolled", False)
    assert after.body["enrollment_id"] == enrolled.body["id"]
    again = await svc.enrol(trainee, class_id)
    assert (again.status, again.body["code"]) == (409, after.body["code"])


async def test_a_missing_name_or_union_membership_is_named_ahead(svc: Service) -> None:
    class_id, _ = await _class_opening_in_two_hours(svc)
    _, nameless = await svc.add_user(name="")
    reply = await svc.call("GET", f"/api/v1/classes/{class_id}/readiness", token=nameless)
    assert (reply.body["ready"], reply.body["code"]) == (False, "profile_incomplete")

    union_class, _ = await _class_opening_in_two_hours(svc, union_members_only=True)
    _, outsider = await svc.add_user()
    reply = await svc.call("GET", f"/api/v1/classes/{union_class}/readiness", token=outsider)
    assert (reply.body["ready"], reply.body["code"]) == (False, "union_members_only")
    _, member = await svc.add_user(union_member=True)
    reply = await svc.call("GET", f"/api/v1/classes/{union_class}/readiness", token=member)
    assert reply.body["ready"] is True


async def test_readiness_is_for_signed_in_trainees_of_existing_classes(svc: Service) -> None:
    class_id, _ = await _class_opening_in_two_hours(svc)
    anonymous = await svc.call("GET", f"/api/v1/classes/{class_id}/readiness")
    assert anonymous.status == 401
    _, trainee = await svc.add_user()
    missing = await svc.call("GET", f"/api/v1/classes/{new_id()}/readiness", token=trainee)
    assert (missing.status, missing.body["code"]) == (404, "class_not_found")


async def test_readiness_names_the_course_rules_and_the_lottery_the_enrolment_would_meet(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin)
    rules = await svc.call("PUT", f"/api/v1/courses/{course['id']}/rules", token=admin,
                           json_body={"min_age": 16, "max_age": 60})
    assert rules.status == 200, rules.body
    class_id, _ = await _class_opening_in_two_hours(svc, course_id=course["id"])
    _, unknown_age = await svc.add_user()
    reply = await svc.call("GET", f"/api/v1/classes/{class_id}/readiness", token=unknown_age)
    assert (reply.body["ready"], reply.body["code"]) == (False, "age_unknown")

    drawn = await svc.create_class(admin)
    allocation = await svc.call("PUT", f"/api/v1/classes/{drawn['id']}/allocation", token=admin,
                                json_body={"mode": "lottery"})
    assert allocation.status == 200, allocation.body
    _, trainee = await svc.add_user()
    reply = await svc.call("GET", f"/api/v1/classes/{drawn['id']}/readiness", token=trainee)
    assert (reply.body["ready"], reply.body["code"]) == (False, "lottery_class")
