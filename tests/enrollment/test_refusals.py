"""Enrolments a class or a trainee does not allow are refused with a clear problem code."""

from __future__ import annotations

from datetime import timedelta

from tests.enrollment.support import Service
from tests.enrollment.test_bulk import import_csv


async def test_enrollment_before_the_window_opens_is_refused(svc: Service) -> None:
    admin = await svc.admin_token()
    opens = svc.clock.now() + timedelta(hours=2)
    cls = await svc.create_class(admin, enroll_opens_at=opens.isoformat())
    _, token = await svc.add_user()
    early = await svc.enrol(token, cls["id"])
    assert early.status == 409
    assert early.body["code"] == "enrolment_not_open"
    assert early.body["opens_at"] == opens.isoformat()
    svc.clock.advance(hours=2)
    assert (await svc.enrol(token, cls["id"])).status == 201


async def test_enrollment_closes_when_the_class_starts_by_default(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    svc.clock.advance(days=8)
    late = await svc.enrol(token, cls["id"])
    assert late.status == 409
    assert late.body["code"] == "enrolment_closed"


async def test_union_only_classes_refuse_non_members(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, union_members_only=True)
    _, outsider = await svc.add_user(union_member=False)
    _, member = await svc.add_user(union_member=True)
    refused = await svc.enrol(outsider, cls["id"])
    assert refused.status == 403
    assert refused.body["code"] == "union_members_only"
    assert (await svc.enrol(member, cls["id"])).status == 201


async def test_a_trainee_who_patches_union_member_is_still_refused_a_union_only_class(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, union_members_only=True)
    _, outsider = await svc.add_user(union_member=False)
    patched = await svc.call("PATCH", "/api/v1/me", token=outsider,
                             json_body={"union_member": True, "employer": "顺丰速运"})
    assert patched.status == 200
    assert (patched.body["union_member"], patched.body["employer"]) == (False, "顺丰速运")
    refused = await svc.enrol(outsider, cls["id"])
    assert refused.status == 403
    assert refused.body["code"] == "union_members_only"


async def test_an_administrator_records_union_membership_of_a_user(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, union_members_only=True)
    trainee_id, token = await svc.add_user(union_member=False)
    _, trainer = await svc.add_user("trainer", name="Trainer")
    body = {"union_member": True}
    by_trainer = await svc.call("PATCH", f"/api/v1/users/{trainee_id}", token=trainer,
                                json_body=body)
    by_self = await svc.call("PATCH", f"/api/v1/users/{trainee_id}", token=token,
                             json_body=body)
    assert (by_trainer.status, by_self.status) == (403, 403)
    assert (await svc.enrol(token, cls["id"])).status == 403
    marked = await svc.call("PATCH", f"/api/v1/users/{trainee_id}", token=admin, json_body=body)
    assert marked.status == 200
    assert marked.body["union_member"] is True
    assert (await svc.enrol(token, cls["id"])).status == 201


async def test_an_administrator_enrolling_a_member_by_phone_records_the_membership(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, union_members_only=True)
    plain = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                           json_body={"phone": "13955550001", "name": "王五"})
    assert (plain.status, plain.body["code"]) == (403, "union_members_only")
    member = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                            json_body={"phone": "13955550001", "name": "王五",
                                       "union_member": True})
    assert member.status == 201
    assert await svc.pool.fetchval("SELECT union_member FROM users WHERE phone = $1",
                                   "+8613955550001") is True


async def test_an_administrator_enrolling_an_existing_number_keeps_the_accounts_name(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    await svc.add_user(name="本人", phone="+8613955550002")
    await import_csv(svc, admin, cls["id"], "phone,name\n13955550003,导入名\n")  # unclaimed
    other = await svc.create_class(admin)
    for phone in ("13955550002", "13955550003"):
        reply = await svc.call("POST", f"/api/v1/classes/{other['id']}/enrollments",
                               token=admin, json_body={"phone": phone, "name": "别人"})
        assert reply.status == 201, reply.body
    names = await svc.pool.fetch("SELECT name FROM users WHERE phone = ANY($1) ORDER BY phone",
                                 ["+8613955550002", "+8613955550003"])
    assert [r["name"] for r in names] == ["本人", "导入名"]


async def test_a_trainee_without_a_name_is_asked_to_complete_the_profile(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user(name="")
    reply = await svc.enrol(token, cls["id"])
    assert reply.status == 409
    assert reply.body["code"] == "profile_incomplete"


async def test_enrolling_twice_is_refused_but_a_cancelled_trainee_may_enrol_again(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    first = await svc.enrol(token, cls["id"])
    again = await svc.enrol(token, cls["id"])
    assert again.status == 409
    assert again.body["code"] == "already_enrolled"
    assert again.body["enrollment_id"] == first.body["id"]
    await svc.call("POST", f"/api/v1/enrollments/{first.body['id']}/cancel", token=token)
    back = await svc.enrol(token, cls["id"])
    assert back.status == 201
    assert back.body["id"] != first.body["id"]


async def test_staff_accounts_cannot_enrol_themselves(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    reply = await svc.enrol(admin, cls["id"])
    assert reply.status == 403
    assert reply.body["code"] == "role_forbidden"


async def test_trainees_cannot_cancel_once_the_class_started_but_admins_can(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    enrollment = (await svc.enrol(token, cls["id"])).body["id"]
    svc.clock.advance(days=7)
    refused = await svc.call("POST", f"/api/v1/enrollments/{enrollment}/cancel", token=token)
    assert refused.status == 409
    assert refused.body["code"] == "class_started"
    by_admin = await svc.call("POST", f"/api/v1/enrollments/{enrollment}/cancel", token=admin)
    assert by_admin.body["cancel_reason"] == "by_admin"
    twice = await svc.call("POST", f"/api/v1/enrollments/{enrollment}/cancel", token=admin)
    assert twice.status == 409
    assert twice.body["code"] == "not_cancellable"


async def test_admins_enrol_outside_the_window_but_never_past_capacity(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    svc.clock.advance(days=8)
    one, _ = await svc.add_user()
    two, _ = await svc.add_user()
    first = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                           json_body={"trainee_id": str(one)})
    second = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                            json_body={"trainee_id": str(two)})
    by_phone = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                              json_body={"phone": "13912345678", "name": "新学员"})
    assert first.body["status"] == "confirmed"
    assert (second.body["status"], second.body["waitlist_position"]) == ("waitlisted", 1)
    assert (by_phone.body["status"], by_phone.body["waitlist_position"]) == ("waitlisted", 2)
    via = [ev["data"]["via"] for ev in await svc.events(first.body["id"])]
    assert via == ["admin"]


async def test_an_admin_enrolling_a_new_number_without_a_name_is_asked_for_the_name(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    path = f"/api/v1/classes/{cls['id']}/enrollments"
    nameless = await svc.call("POST", path, token=admin, json_body={"phone": "13912345601"})
    assert (nameless.status, nameless.body["code"]) == (422, "name_required")
    assert "your profile" not in nameless.body["detail"]
    named = await svc.call("POST", path, token=admin,
                           json_body={"phone": "13912345601", "name": "新学员"})
    assert named.body["status"] == "confirmed"


async def test_an_admin_enrolling_a_nameless_account_is_told_the_trainee_must_add_it(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    trainee_id, _ = await svc.add_user(name="")
    refused = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                             json_body={"trainee_id": str(trainee_id)})
    assert (refused.status, refused.body["code"]) == (409, "profile_incomplete")
    assert "your profile" not in refused.body["detail"]
