"""Lottery classes (摇号): apply, commit-reveal draw exactly once, offers and waitlist in draw
order, `jiangxin draw verify` from the public document alone."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.lottery import commitment, ticket
from services.enrollment.handlers import draws
from tests.enrollment.conftest import StartService
from tests.enrollment.support import START, Service
from tests.enrollment.test_cli import jiangxin
from tests.support.clock import FakeClock
from tests.support.infra import eventually

QUIET_JOBS = {"offer_check_interval_s": 3600, "reminder_check_interval_s": 3600,
              "housekeeping_interval_s": 3600}


async def lottery_class(svc: Service, admin: str, *, capacity: int = 30,
                        priority: bool = False, **fields: Any) -> dict[str, Any]:
    """Schedule a class whose window closes in two days and make it a lottery class."""
    closes = svc.clock.now() + timedelta(days=2)
    cls = await svc.create_class(admin, capacity=capacity, waitlist_policy="offer",
                                 enroll_closes_at=closes.isoformat(), **fields)
    reply = await svc.call("PUT", f"/api/v1/classes/{cls['id']}/allocation", token=admin,
                           json_body={"mode": "lottery", "priority_unsubsidised": priority})
    assert reply.status == 200, reply.body
    assert reply.body["mode"] == "lottery"
    return {**cls, "commitment": reply.body["commitment"], "closes_at": closes}


async def apply(svc: Service, token: str, class_id: str) -> Any:
    """Apply for a place."""
    return await svc.call("POST", f"/api/v1/classes/{class_id}/applications", token=token,
                          json_body={})


async def document(svc: Service, class_id: str) -> dict[str, Any]:
    """Return the public draw document."""
    reply = await svc.call("GET", f"/api/v1/classes/{class_id}/draw")
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


async def verify(svc: Service, class_id: str, doc: dict[str, Any], tmp: Path) -> tuple[int, str]:
    """Run `jiangxin draw verify` on a saved copy of a document."""
    path = tmp / f"draw-{class_id}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = await jiangxin(svc, "draw", "verify", class_id, "--file", str(path))
    return code, out + err


def docs_script(doc: dict[str, Any], tmp: Path) -> int:
    """Run the standard-library script of docs/lottery.md on a document; return its exit code."""
    text = Path("docs/lottery.md").read_text(encoding="utf-8")
    script = text.split("```python\n", 1)[1].split("```", 1)[0]
    path = tmp / "doc-draw.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return subprocess.run([sys.executable, "-c", script, str(path)], check=False,
                          capture_output=True).returncode


async def test_1000_applications_for_30_places_on_two_instances_are_drawn_exactly_once(
    start_service: StartService, tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    one = await start_service(clock, run_jobs=True, draw_check_interval_s=0.05, **QUIET_JOBS)
    two = await start_service(clock, run_jobs=True, draw_check_interval_s=0.05, **QUIET_JOBS)
    admin = await one.admin_token()
    cls = await lottery_class(one, admin, capacity=30)
    trainees = await one.add_trainees(1000)
    replies = await asyncio.gather(*(apply(one if i % 2 else two, token, cls["id"])
                                     for i, (_, token) in enumerate(trainees)))
    assert Counter(r.status for r in replies) == {201: 1000}
    assert {r.body["status"] for r in replies} == {"applied"}
    before = await document(two, cls["id"])
    assert before["status"] == "open"
    assert before["seed"] is None
    assert before["entries"] == []
    assert before["commitment"] == cls["commitment"]

    clock.set(cls["closes_at"])  # both instances' draw jobs now find the lottery due

    async def drawn() -> bool:
        return bool(await one.pool.fetchval(
            "SELECT drawn_at IS NOT NULL FROM lotteries WHERE class_id = $1", UUID(cls["id"])))

    await eventually(drawn, timeout=60)
    again = await asyncio.gather(draws.draw_due(deps=one.deps), draws.draw_due(deps=two.deps))
    assert list(again) == [0, 0]
    rerun = await one.call("POST", f"/api/v1/classes/{cls['id']}/draw", token=admin,
                           json_body={"reason": "once more, please"})
    assert (rerun.status, rerun.body["code"]) == (409, "lottery_drawn")

    # Exactly one draw: one result event per application, one enrolment each, one audit row.
    results = [e for e in await one.events() if e["type"] == "application.drawn"]
    assert len(results) == 1000
    history = await one.pool.fetchval(
        "SELECT count(*) FROM enrollment_history h JOIN enrollments e ON e.id = h.enrollment_id "
        "WHERE e.class_id = $1", UUID(cls["id"]))
    assert history == 1000

    doc = await document(one, cls["id"])
    assert doc["status"] == "drawn"
    assert commitment(bytes.fromhex(doc["seed"])) == cls["commitment"]
    seed = bytes.fromhex(doc["seed"])
    expected = sorted((UUID(r.body["id"]) for r in replies), key=lambda a: ticket(seed, a))
    assert [UUID(e["application_id"]) for e in doc["entries"]] == expected
    assert [e["rank"] for e in doc["entries"]] == list(range(1, 1001))
    assert [e["outcome"] for e in doc["entries"]] == ["offered"] * 30 + ["waitlisted"] * 970

    rows = await one.pool.fetch(
        "SELECT id, status, booking_no FROM enrollments WHERE class_id = $1 ORDER BY booking_no",
        UUID(cls["id"]))
    assert [r["id"] for r in rows] == expected  # the waitlist is in draw order
    assert [r["status"] for r in rows] == ["offered"] * 30 + ["waitlisted"] * 970
    detail = await one.call("GET", f"/api/v1/classes/{cls['id']}")
    assert (detail.body["seats_left"], detail.body["waitlist_length"]) == (0, 970)

    code, out = await verify(one, cls["id"], doc, tmp_path)
    assert code == 0, out
    assert "verified" in out
    changed_seed = {**doc, "seed": bytes(32).hex()}
    code, out = await verify(one, cls["id"], changed_seed, tmp_path)
    assert code == 1
    assert "commitment" in out
    dropped = {**doc, "entries": doc["entries"][:500] + doc["entries"][501:]}
    code, out = await verify(one, cls["id"], dropped, tmp_path)
    assert code == 1
    assert "announced" in out
    # The 15-line script of docs/lottery.md agrees.
    assert [docs_script(d, tmp_path) for d in (doc, changed_seed, dropped)] == [0, 1, 1]


async def test_applying_is_idempotent_and_withdrawable_until_the_window_closes(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await lottery_class(svc, admin)
    _, token = await svc.add_user(name="王小明")
    first, second = await apply(svc, token, cls["id"]), await apply(svc, token, cls["id"])
    assert (first.status, second.status) == (201, 201)
    assert first.body["id"] == second.body["id"]
    assert first.body["status"] == "applied"
    events = await svc.events(first.body["id"])
    assert [e["type"] for e in events] == ["application.submitted"]  # one SMS, not two
    mine = await svc.call("GET", "/api/v1/me/applications", token=token)
    assert [a["id"] for a in mine.body["items"]] == [first.body["id"]]

    withdrawn = await svc.call("POST", f"/api/v1/applications/{first.body['id']}/withdraw",
                               token=token)
    assert withdrawn.body["status"] == "withdrawn"
    again = await apply(svc, token, cls["id"])
    assert again.status == 201
    assert again.body["id"] != first.body["id"]

    svc.clock.set(cls["closes_at"])
    late = await svc.call("POST", f"/api/v1/applications/{again.body['id']}/withdraw",
                          token=token)
    assert (late.status, late.body["code"]) == (409, "applications_closed")
    _, other = await svc.add_user(name="迟到的学员")
    refused = await apply(svc, other, cls["id"])
    assert (refused.status, refused.body["code"]) == (409, "applications_closed")


async def test_a_lottery_class_takes_no_enrollment_before_the_draw(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await lottery_class(svc, admin)
    trainee_id, token = await svc.add_user(name="李四")
    direct = await svc.enrol(token, cls["id"])
    assert (direct.status, direct.body["code"]) == (409, "lottery_class")
    by_admin = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                              json_body={"trainee_id": str(trainee_id)})
    assert (by_admin.status, by_admin.body["code"]) == (409, "lottery_not_drawn")
    first_come = await svc.create_class(admin)
    not_lottery = await apply(svc, token, first_come["id"])
    assert (not_lottery.status, not_lottery.body["code"]) == (409, "not_a_lottery_class")
    allocation = await svc.call("GET", f"/api/v1/classes/{first_come['id']}/allocation")
    assert allocation.body["mode"] == "first_come"


async def test_a_class_with_enrollments_cannot_become_a_lottery(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    assert (await svc.enrol(token, cls["id"])).status == 201
    reply = await svc.call("PUT", f"/api/v1/classes/{cls['id']}/allocation", token=admin,
                           json_body={"mode": "lottery"})
    assert (reply.status, reply.body["code"]) == (409, "enrolments_exist")


async def test_an_early_draw_needs_a_recorded_reason_and_nobody_can_draw_again(
    svc: Service, tmp_path: Path,
) -> None:
    admin = await svc.admin_token()
    cls = await lottery_class(svc, admin, capacity=2)
    for _, token in await svc.add_trainees(5):
        assert (await apply(svc, token, cls["id"])).status == 201
    bare = await svc.call("POST", f"/api/v1/classes/{cls['id']}/draw", token=admin,
                          json_body={"reason": "now"})
    assert (bare.status, bare.body["code"]) == (422, "early_draw_reason_required")
    reason = "Venue booked early; supervisors present for the live stream"
    done = await svc.call("POST", f"/api/v1/classes/{cls['id']}/draw", token=admin,
                          json_body={"reason": reason})
    assert done.status == 200, done.body
    assert (done.body["offers"], done.body["waitlisted"]) == (2, 3)
    doc = await document(svc, cls["id"])
    assert doc["early_reason"] == reason
    assert (await verify(svc, cls["id"], doc, tmp_path))[0] == 0
    code, out, err = await jiangxin(svc, "draw", "verify", cls["id"], "--url", svc.url)
    assert code == 0, err
    assert "verified: class" in out
    twice = await svc.call("POST", f"/api/v1/classes/{cls['id']}/draw", token=admin,
                           json_body={"reason": reason})
    assert (twice.status, twice.body["code"]) == (409, "lottery_drawn")
    # Not even with the database's own hands: a drawn lottery is never changed.
    with pytest.raises(asyncpg.RaiseError, match="cannot be drawn again"):
        await svc.pool.execute("UPDATE lotteries SET drawn_at = NULL WHERE class_id = $1",
                               UUID(cls["id"]))
    late_id, late = await svc.add_user(name="晚来的")
    refused = await apply(svc, late, cls["id"])
    assert (refused.status, refused.body["code"]) == (409, "lottery_drawn")
    # After the draw an administrator may still add someone: at the end of the waitlist.
    added = await svc.call("POST", f"/api/v1/classes/{cls['id']}/enrollments", token=admin,
                           json_body={"trainee_id": str(late_id)})
    assert added.status == 201, added.body
    assert (added.body["status"], added.body["waitlist_position"]) == ("waitlisted", 4)


async def test_a_declined_offer_passes_down_the_list_in_draw_order(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await lottery_class(svc, admin, capacity=2)
    tokens = {}
    for _, token in await svc.add_trainees(4):
        reply = await apply(svc, token, cls["id"])
        tokens[reply.body["id"]] = token
    svc.clock.set(cls["closes_at"])
    assert (await draws.draw(UUID(cls["id"]), deps=svc.deps, actor=Actor.system())).drawn
    entries = (await document(svc, cls["id"]))["entries"]
    first, third = entries[0]["application_id"], entries[2]["application_id"]
    mine = await svc.call("GET", f"/api/v1/enrollments/{first}", token=tokens[first])
    assert mine.body["status"] == "offered"
    declined = await svc.call("POST", f"/api/v1/enrollments/{first}/cancel", token=tokens[first])
    assert declined.body["status"] == "cancelled"
    assert (await svc.status_of(third))[0] == "offered"
    accepted = await svc.call("POST", f"/api/v1/enrollments/{third}/accept", token=tokens[third])
    assert accepted.body["status"] == "confirmed"
    results = {e["data"]["application_id"]: e["data"]["outcome"]
               for e in await svc.events() if e["type"] == "application.drawn"
               and e["data"]["application_id"] in tokens}
    assert sorted(Counter(results.values()).items()) == [("offered", 2), ("waitlisted", 2)]
