"""Scheduling a class and changing its trainers each publish one ClassTrainersChanged."""

from __future__ import annotations

from typing import Any

from tests.enrollment.support import Service


async def _trainer_events(svc: Service, class_id: str) -> list[dict[str, Any]]:
    return [e for e in await svc.events(class_id) if e["type"] == "class.trainers_changed"]


async def test_a_new_class_publishes_its_trainers_once(svc: Service) -> None:
    admin = await svc.admin_token()
    first, _ = await svc.add_user("trainer", name="王老师")
    second, _ = await svc.add_user("trainer", name="李老师")
    cls = await svc.create_class(admin, trainer_ids=[str(first), str(second), str(first)])

    events = await _trainer_events(svc, cls["id"])
    assert len(events) == 1
    event = events[0]
    assert (event["version"], event["producer"], event["aggregate_id"]) == (
        1, "enrollment", cls["id"])
    assert event["data"] == {"class_id": cls["id"], "trainer_ids": [str(first), str(second)],
                             "seq": 1}


async def test_a_class_without_trainers_publishes_the_empty_list(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)

    events = await _trainer_events(svc, cls["id"])
    assert [e["data"]["trainer_ids"] for e in events] == [[]]


async def test_each_change_of_trainers_publishes_the_full_new_list_with_the_next_seq(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    first, _ = await svc.add_user("trainer")
    second, _ = await svc.add_user("trainer")
    cls = await svc.create_class(admin, trainer_ids=[str(first)])
    path = f"/api/v1/classes/{cls['id']}"

    added = await svc.call("PATCH", path, token=admin,
                           json_body={"trainer_ids": [str(first), str(second)]})
    assert added.status == 200, added.body
    removed = await svc.call("PATCH", path, token=admin, json_body={"trainer_ids": [str(second)]})
    assert removed.status == 200, removed.body

    events = await _trainer_events(svc, cls["id"])
    assert [(e["data"]["seq"], e["data"]["trainer_ids"]) for e in events] == [
        (1, [str(first)]), (2, [str(first), str(second)]), (3, [str(second)])]


async def test_changes_that_keep_the_trainers_publish_nothing(svc: Service) -> None:
    admin = await svc.admin_token()
    first, _ = await svc.add_user("trainer")
    second, _ = await svc.add_user("trainer")
    cls = await svc.create_class(admin, trainer_ids=[str(first), str(second)])
    path = f"/api/v1/classes/{cls['id']}"

    for body in ({"capacity": 40}, {"trainer_ids": [str(second), str(first)]},
                 {"trainer_ids": None, "venue": "工人文化宫 302"}):
        reply = await svc.call("PATCH", path, token=admin, json_body=body)
        assert reply.status == 200, reply.body

    assert len(await _trainer_events(svc, cls["id"])) == 1


async def test_a_refused_change_of_trainers_publishes_nothing(svc: Service) -> None:
    admin = await svc.admin_token()
    trainer, _ = await svc.add_user("trainer")
    trainee, _ = await svc.add_user()
    cls = await svc.create_class(admin, trainer_ids=[str(trainer)])

    reply = await svc.call("PATCH", f"/api/v1/classes/{cls['id']}", token=admin,
                           json_body={"trainer_ids": [str(trainee)]})
    assert reply.status == 422
    assert reply.body["code"] == "unknown_trainer"
    assert len(await _trainer_events(svc, cls["id"])) == 1
