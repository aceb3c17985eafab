"""A trainee sees and changes only their own data; a trainer only their classes."""

from __future__ import annotations

from tests.enrollment.support import Service


async def test_a_trainee_cannot_read_or_change_another_trainees_enrollment(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1, waitlist_policy="offer")
    _, alice = await svc.add_user(name="Alice")
    _, bob = await svc.add_user(name="Bob")
    mine = (await svc.enrol(alice, cls["id"])).body["id"]
    theirs = (await svc.enrol(bob, cls["id"])).body["id"]

    for method, path in [("GET", f"/api/v1/enrollments/{theirs}"),
                         ("POST", f"/api/v1/enrollments/{theirs}/cancel"),
                         ("POST", f"/api/v1/enrollments/{theirs}/accept")]:
        reply = await svc.call(method, path, token=alice)
        assert reply.status == 404, path
        assert reply.body["code"] == "enrollment_not_found"
    listed = await svc.call("GET", "/api/v1/me/enrollments", token=alice)
    assert [e["id"] for e in listed.body["items"]] == [mine]
    assert (await svc.status_of(theirs))[0] == "waitlisted"
    own = await svc.call("GET", f"/api/v1/enrollments/{mine}", token=alice)
    assert own.status == 200
    assert own.body["class_info"]["course"]["title_zh"] == "直播销售员"
    assert [h["to_status"] for h in own.body["history"]] == ["confirmed"]


async def test_a_trainer_sees_only_the_rosters_of_their_own_classes(svc: Service) -> None:
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    _, other_trainer = await svc.add_user("trainer", name="李老师")
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)])
    _, trainee = await svc.add_user()
    enrollment = (await svc.enrol(trainee, cls["id"])).body["id"]

    assert (await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=trainer)).status \
        == 200
    other = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=other_trainer)
    assert other.status == 403
    assert other.body["code"] == "not_class_trainer"
    by_trainee = await svc.call("GET", f"/api/v1/classes/{cls['id']}/roster", token=trainee)
    assert by_trainee.status == 403
    assert by_trainee.body["code"] == "role_forbidden"
    assert (await svc.call("GET", f"/api/v1/enrollments/{enrollment}", token=trainer)).status \
        == 200
    assert (await svc.call("GET", f"/api/v1/enrollments/{enrollment}",
                           token=other_trainer)).status == 404
    score = await svc.call("PUT", f"/api/v1/enrollments/{enrollment}/result", token=other_trainer,
                           json_body={"theory_score": 100, "practical_score": 100})
    assert score.status == 403
    mine = await svc.call("GET", "/api/v1/me/classes", token=trainer)
    assert [c["id"] for c in mine.body["items"]] == [cls["id"]]
    assert mine.body["items"][0]["trainers"] == [{"id": str(trainer_id), "name": "王老师"}]


async def test_only_administrators_manage_the_catalogue_and_see_the_dashboard(
    svc: Service,
) -> None:
    _, trainer = await svc.add_user("trainer")
    _, trainee = await svc.add_user()
    admin = await svc.admin_token()
    course = await svc.create_course(admin)
    for token in (trainer, trainee):
        reply = await svc.call("POST", "/api/v1/classes", token=token, json_body={
            "course_id": course["id"], "capacity": 1, "starts_on": "2025-07-01",
            "ends_on": "2025-07-01", "venue": "x"})
        assert reply.status == 403
        stats = await svc.call("GET", "/api/v1/admin/stats", token=token)
        assert stats.status == 403
    assert (await svc.call("GET", "/api/v1/admin/stats", token=admin)).status == 200


async def test_requests_without_a_valid_token_are_unauthorised(svc: Service) -> None:
    missing = await svc.call("GET", "/api/v1/me")
    assert missing.status == 401
    garbage = await svc.call("GET", "/api/v1/me", headers={"Authorization": "Bearer abc.def.g"})
    assert garbage.status == 401
    assert garbage.body["code"] == "invalid_token"
    scheme = await svc.call("GET", "/api/v1/me", headers={"Authorization": "Basic dXNlcg=="})
    assert scheme.status == 401
