"""Freed seats go to the head of the waitlist: promoted at once, or offered until a deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.enrollment.handlers.enrollments import expire_offers
from tests.enrollment.conftest import StartService
from tests.enrollment.support import START, Service
from tests.support.clock import FakeClock
from tests.support.infra import eventually


async def enrol_all(svc: Service, class_id: str, count: int) -> list[tuple[str, str]]:
    """Enrol `count` new trainees one after the other; return (enrollment id, token)."""
    out = []
    for token in [t for _, t in await svc.add_trainees(count)]:
        reply = await svc.enrol(token, class_id)
        assert reply.status == 201, reply.body
        out.append((reply.body["id"], token))
    return out


async def states(svc: Service, ids: list[str]) -> list[tuple[str, int | None]]:
    return [await svc.status_of(i) for i in ids]


async def cancel(svc: Service, enrollment_id: str, token: str) -> dict[str, Any]:
    reply = await svc.call("POST", f"/api/v1/enrollments/{enrollment_id}/cancel", token=token)
    assert reply.status == 200, reply.body
    return reply.body  # type: ignore[no-any-return]


async def test_cancellations_promote_the_waitlist_strictly_in_order(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=2)
    (a, ta), (b, tb), (c, _), (d, td), (e, _) = await enrol_all(svc, cls["id"], 5)
    assert await states(svc, [a, b, c, d, e]) == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2),
        ("waitlisted", 3)]

    cancelled = await cancel(svc, a, ta)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "by_trainee"
    assert await states(svc, [c, d, e]) == [("confirmed", None), ("waitlisted", 1),
                                            ("waitlisted", 2)]
    await cancel(svc, d, td)  # leaving the waitlist frees no seat; E moves up
    assert await states(svc, [e]) == [("waitlisted", 1)]
    await cancel(svc, b, tb)
    assert await states(svc, [e]) == [("confirmed", None)]
    promoted = [ev for ev in await svc.events(e) if ev["type"] == "enrollment.promoted"]
    assert len(promoted) == 1
    detail = await svc.call("GET", f"/api/v1/classes/{cls['id']}")
    assert (detail.body["seats_left"], detail.body["waitlist_length"]) == (0, 0)


async def test_offer_policy_offers_the_seat_in_order_and_accepting_confirms(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1, waitlist_policy="offer", offer_hours=12)
    (a, ta), (b, tb), (c, _) = await enrol_all(svc, cls["id"], 3)
    await cancel(svc, a, ta)

    offered = await svc.call("GET", f"/api/v1/enrollments/{b}", token=tb)
    assert offered.body["status"] == "offered"
    deadline = svc.clock.now() + timedelta(hours=12)
    assert datetime.fromisoformat(offered.body["offer_expires_at"]) == deadline
    assert await states(svc, [c]) == [("waitlisted", 1)]
    event = next(ev for ev in await svc.events(b) if ev["type"] == "enrollment.offered")
    assert datetime.fromisoformat(event["data"]["offer_expires_at"]) == deadline
    detail = await svc.call("GET", f"/api/v1/classes/{cls['id']}")
    assert detail.body["seats_left"] == 0  # the offered seat is held

    accepted = await svc.call("POST", f"/api/v1/enrollments/{b}/accept", token=tb)
    assert accepted.status == 200
    assert accepted.body["status"] == "confirmed"
    assert accepted.body["offer_expires_at"] is None


async def test_an_expired_offer_passes_to_the_next_in_line(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1, waitlist_policy="offer", offer_hours=2)
    (a, ta), (b, tb), (c, tc), (d, _) = await enrol_all(svc, cls["id"], 4)
    await cancel(svc, a, ta)
    assert await states(svc, [b, c, d]) == [("offered", None), ("waitlisted", 1),
                                            ("waitlisted", 2)]
    svc.clock.advance(hours=1)
    assert await expire_offers(deps=svc.deps) == 0
    svc.clock.advance(hours=1)
    assert await expire_offers(deps=svc.deps) == 1
    assert await states(svc, [b, c, d]) == [("cancelled", None), ("offered", None),
                                            ("waitlisted", 1)]
    late = await svc.call("POST", f"/api/v1/enrollments/{b}/accept", token=tb)
    assert late.status == 409
    reasons = [ev["data"]["reason"] for ev in await svc.events(b)
               if ev["type"] == "enrollment.cancelled"]
    assert reasons == ["offer_expired"]
    declined = await cancel(svc, c, tc)
    assert declined["cancel_reason"] == "offer_declined"
    assert await states(svc, [d]) == [("offered", None)]


async def test_a_seat_freed_at_night_is_offered_until_an_hour_after_quiet_hours_end(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1, waitlist_policy="offer", offer_hours=1)
    (a, ta), (b, tb), (c, _) = await enrol_all(svc, cls["id"], 3)
    svc.clock.set(datetime(2025, 6, 2, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    await cancel(svc, a, ta)

    nine_am = datetime(2025, 6, 3, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, the next day
    offered = await svc.call("GET", f"/api/v1/enrollments/{b}", token=tb)
    assert datetime.fromisoformat(offered.body["offer_expires_at"]) == nine_am
    event = next(ev for ev in await svc.events(b) if ev["type"] == "enrollment.offered")
    assert datetime.fromisoformat(event["data"]["offer_expires_at"]) == nine_am
    svc.clock.set(datetime(2025, 6, 3, 0, 30, tzinfo=UTC))  # 08:30: the SMS has gone out
    await expire_offers(deps=svc.deps)  # (other tests' classes share the database)
    assert await states(svc, [b, c]) == [("offered", None), ("waitlisted", 1)]
    svc.clock.set(nine_am)
    await expire_offers(deps=svc.deps)
    assert await states(svc, [b, c]) == [("cancelled", None), ("offered", None)]


async def test_accepting_after_the_deadline_is_refused_even_before_the_job_runs(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1, waitlist_policy="offer", offer_hours=1)
    (a, ta), (b, tb) = await enrol_all(svc, cls["id"], 2)
    await cancel(svc, a, ta)
    svc.clock.advance(hours=1)
    reply = await svc.call("POST", f"/api/v1/enrollments/{b}/accept", token=tb)
    assert reply.status == 409
    assert reply.body["code"] == "offer_expired"


async def test_the_offer_expiry_job_runs_in_the_background(start_service: StartService) -> None:
    clock = FakeClock(START)
    svc = await start_service(clock, run_jobs=True, offer_check_interval_s=0.05)
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1, waitlist_policy="offer", offer_hours=1)
    (a, ta), (b, _), (c, _) = await enrol_all(svc, cls["id"], 3)
    await cancel(svc, a, ta)
    clock.advance(hours=2)

    async def passed_on() -> bool:
        return await states(svc, [b, c]) == [("cancelled", None), ("offered", None)]

    await eventually(passed_on)


async def test_growing_the_capacity_promotes_the_waitlist_in_order(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    ids = [i for i, _ in await enrol_all(svc, cls["id"], 4)]
    reply = await svc.call("PATCH", f"/api/v1/classes/{cls['id']}", token=admin,
                           json_body={"capacity": 3})
    assert reply.status == 200
    assert (reply.body["seats_left"], reply.body["waitlist_length"]) == (0, 1)
    assert await states(svc, ids) == [("confirmed", None)] * 3 + [("waitlisted", 1)]
    shrink = await svc.call("PATCH", f"/api/v1/classes/{cls['id']}", token=admin,
                            json_body={"capacity": 2})
    assert shrink.status == 409
    assert shrink.body["code"] == "capacity_below_taken"


async def test_cancelling_a_class_cancels_every_live_enrollment_with_one_event_each(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=2)
    ids = [i for i, _ in await enrol_all(svc, cls["id"], 3)]
    reply = await svc.call("POST", f"/api/v1/classes/{cls['id']}/cancel", token=admin,
                           json_body={"reason": "场地维修"})
    assert reply.status == 200
    assert reply.body["status"] == "cancelled"
    for enrollment_id in ids:
        cancelled = [ev for ev in await svc.events(enrollment_id)
                     if ev["type"] == "enrollment.cancelled"]
        assert len(cancelled) == 1
        assert cancelled[0]["data"]["reason"] == "class_cancelled"
        assert cancelled[0]["data"]["note"] == "场地维修"
        assert cancelled[0]["data"]["actor"] == "admin"
    _, late = await svc.add_user()
    refused = await svc.enrol(late, cls["id"])
    assert refused.status == 409
    assert refused.body["code"] == "class_cancelled"


async def test_rescheduling_tells_every_live_enrollment_the_new_dates(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    ids = [i for i, _ in await enrol_all(svc, cls["id"], 2)]
    new_start = svc.clock.now().date() + timedelta(days=14)
    reply = await svc.call("POST", f"/api/v1/classes/{cls['id']}/reschedule", token=admin,
                           json_body={"starts_on": new_start.isoformat(),
                                      "ends_on": (new_start + timedelta(days=1)).isoformat(),
                                      "venue": "新场地"})
    assert reply.status == 200
    assert reply.body["schedule_days"] == [new_start.isoformat(),
                                           (new_start + timedelta(days=1)).isoformat()]
    assert reply.body["total_hours"] == cls["total_hours"]
    for enrollment_id in ids:
        moved = [ev for ev in await svc.events(enrollment_id)
                 if ev["type"] == "enrollment.rescheduled"]
        assert len(moved) == 1
        assert moved[0]["data"]["previous_starts_on"] == cls["starts_on"]
        assert moved[0]["data"]["previous_venue"] == cls["venue"]
        assert moved[0]["data"]["class_info"]["starts_on"] == new_start.isoformat()
        assert moved[0]["data"]["class_info"]["venue"] == "新场地"
    assert await states(svc, ids) == [("confirmed", None), ("waitlisted", 1)]
