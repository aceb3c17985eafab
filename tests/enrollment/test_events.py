"""Every transition of an enrolment emits exactly one event, in order, with a rising seq."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from services.enrollment.handlers.enrollments import expire_offers
from services.enrollment.handlers.jobs import send_reminders
from tests.enrollment.support import Service


async def test_each_transition_has_one_audit_row_and_one_event_with_increasing_seq(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer")
    auto = await svc.create_class(admin, capacity=2, trainer_ids=[str(trainer_id)])
    offer = await svc.create_class(admin, capacity=1, waitlist_policy="offer", offer_hours=1)
    people = await svc.add_trainees(6)
    tokens = [t for _, t in people]
    e = [(await svc.enrol(t, auto["id"])).body["id"] for t in tokens[:4]]
    o = [(await svc.enrol(t, offer["id"])).body["id"] for t in tokens[:4]]
    await svc.call("POST", f"/api/v1/enrollments/{e[0]}/cancel", token=tokens[0])  # e2 promoted
    await svc.call("POST", f"/api/v1/enrollments/{o[0]}/cancel", token=tokens[0])  # o1 offered
    await svc.call("POST", f"/api/v1/enrollments/{o[1]}/accept", token=tokens[1])
    await svc.call("POST", f"/api/v1/enrollments/{o[1]}/cancel", token=tokens[1])  # o2 offered
    svc.clock.advance(hours=2)
    await expire_offers(deps=svc.deps)  # o2 expired, o3 offered
    await svc.call("PATCH", f"/api/v1/classes/{auto['id']}", token=admin,
                   json_body={"capacity": 3})  # e3 promoted
    await svc.call("POST", f"/api/v1/classes/{offer['id']}/cancel", token=admin, json_body={})
    start = date.fromisoformat(auto["starts_on"])
    svc.clock.set(datetime.combine(start - timedelta(days=1), datetime.min.time(), UTC))
    assert await send_reminders(deps=svc.deps) == 3
    # The last class day (results are released once it has begun); attendance on every day.
    days = [date.fromisoformat(d) for d in auto["schedule_days"]]
    svc.clock.set(datetime.combine(days[-1], datetime.min.time(), UTC) + timedelta(hours=4))
    for day in days:
        await svc.call("PUT", f"/api/v1/classes/{auto['id']}/attendance/{day}", token=trainer,
                       json_body={"records": [{"enrollment_id": e[1], "status": "present"},
                                              {"enrollment_id": e[2], "status": "present"}]})
    await svc.call("PUT", f"/api/v1/enrollments/{e[1]}/result", token=trainer,
                   json_body={"theory_score": 80, "practical_score": 80})
    await svc.call("PUT", f"/api/v1/enrollments/{e[2]}/result", token=trainer,
                   json_body={"theory_score": 80, "practical_score": 80})
    released = await svc.call("POST", f"/api/v1/classes/{auto['id']}/release-results",
                              token=trainer)
    assert released.status == 200, released.body

    history = defaultdict(list)
    for row in await svc.pool.fetch(
        "SELECT enrollment_id::text AS id, seq, event_type FROM enrollment_history "
        "WHERE enrollment_id = ANY($1::uuid[]) ORDER BY enrollment_id, seq", e + o):
        history[row["id"]].append((row["seq"], row["event_type"]))
    for enrollment_id in e + o:
        events = await svc.events(enrollment_id)
        emitted = [(ev["data"]["seq"], ev["type"]) for ev in events]
        assert emitted == history[enrollment_id], enrollment_id
        assert [seq for seq, _ in emitted] == list(range(1, len(emitted) + 1))
    assert [t for _, t in history[o[1]]] == [
        "enrollment.waitlisted", "enrollment.offered", "enrollment.promoted",
        "enrollment.cancelled"]
    assert [t for _, t in history[o[2]]] == [
        "enrollment.waitlisted", "enrollment.offered", "enrollment.cancelled"]
    assert [t for _, t in history[e[2]]] == [
        "enrollment.waitlisted", "enrollment.promoted", "enrollment.reminder_due",
        "enrollment.attended", "enrollment.completed"]
    assert [t for _, t in history[e[3]]] == [
        "enrollment.waitlisted", "enrollment.promoted", "enrollment.reminder_due",
        "enrollment.no_show"]
