"""Flash-sale behaviour over real HTTP: capacity, FIFO waitlist in commit order, idempotency."""

from __future__ import annotations

import asyncio
from collections import Counter
from uuid import UUID, uuid4

from tests.enrollment.support import Service


async def test_500_concurrent_trainees_get_30_seats_and_a_470_place_waitlist_in_commit_order(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=30)
    trainees = await svc.add_trainees(500)

    replies = await asyncio.gather(*(svc.enrol(token, cls["id"]) for _, token in trainees))

    assert Counter(r.status for r in replies) == {201: 500}
    statuses = Counter(r.body["status"] for r in replies)
    assert statuses == {"confirmed": 30, "waitlisted": 470}
    positions = sorted(r.body["waitlist_position"] for r in replies
                       if r.body["status"] == "waitlisted")
    assert positions == list(range(1, 471))
    # Booking numbers are taken under the class row lock, held until commit: their order is
    # the commit order. The first 30 committed got the seats; the others queue in that order.
    rows = await svc.pool.fetch(
        "SELECT id, status, booking_no FROM enrollments WHERE class_id = $1 ORDER BY booking_no",
        UUID(cls["id"]),
    )
    assert [r["booking_no"] for r in rows] == list(range(1, 501))
    assert [r["status"] for r in rows] == ["confirmed"] * 30 + ["waitlisted"] * 470
    answered = {r.body["id"]: r.body["waitlist_position"] for r in replies}
    assert [answered[str(r["id"])] for r in rows[30:]] == list(range(1, 471))
    detail = await svc.call("GET", f"/api/v1/classes/{cls['id']}")
    assert detail.body["seats_left"] == 0
    assert detail.body["waitlist_length"] == 470


async def test_concurrent_retries_with_one_idempotency_key_make_one_enrollment(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=5)
    trainee_id, token = await svc.add_user(name="重试的学员")

    replies = await asyncio.gather(*(svc.enrol(token, cls["id"], key="tap-once-7f3a")
                                     for _ in range(20)))

    assert {r.status for r in replies} == {201}
    assert len({r.body["id"] for r in replies}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in replies) == 19
    count = await svc.pool.fetchval("SELECT count(*) FROM enrollments WHERE trainee_id = $1",
                                    trainee_id)
    assert count == 1
    assert len(await svc.events(replies[0].body["id"])) == 1


async def test_a_retry_after_the_enrollment_changed_still_gets_the_first_answer(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    _, first = await svc.add_user(name="甲")
    _, second = await svc.add_user(name="乙")
    await svc.enrol(first, cls["id"])
    original = await svc.enrol(second, cls["id"], key="k-1")
    assert original.body["status"] == "waitlisted"
    cancelled = await svc.call("POST", f"/api/v1/enrollments/{original.body['id']}/cancel",
                               token=second)
    assert cancelled.body["status"] == "cancelled"
    retry = await svc.enrol(second, cls["id"], key="k-1")
    assert retry.status == 201
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.body == original.body  # the stored first answer, not the cancelled state
    assert await svc.status_of(original.body["id"]) == ("cancelled", None)
    without_key = await svc.enrol(second, cls["id"])  # a new request books afresh
    assert without_key.body["id"] != original.body["id"]


async def test_an_idempotency_key_reused_with_another_body_is_refused(svc: Service) -> None:
    admin = await svc.admin_token()
    one = await svc.create_class(admin)
    other = await svc.create_class(admin)
    _, token = await svc.add_user()
    assert (await svc.enrol(token, one["id"], key="same-key")).status == 201
    reused = await svc.enrol(token, other["id"], key="same-key")
    assert reused.status == 422
    assert reused.body["code"] == "idempotency_key_reused"


async def test_a_refused_request_does_not_keep_its_key(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    missing = await svc.enrol(token, str(uuid4()), key="first-try")
    assert missing.status == 404
    assert missing.body["code"] == "class_not_found"
    booked = await svc.enrol(token, cls["id"], key="first-try")
    assert booked.status == 201
    assert booked.headers.get("Idempotent-Replayed") is None


async def test_keys_belong_to_their_user(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, alice = await svc.add_user()
    _, bob = await svc.add_user()
    a = await svc.enrol(alice, cls["id"], key="shared-key")
    b = await svc.enrol(bob, cls["id"], key="shared-key")
    assert a.status == b.status == 201
    assert a.body["id"] != b.body["id"]


async def test_double_taps_without_a_key_enrol_once_and_refuse_the_rest(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    trainee_id, token = await svc.add_user()
    replies = await asyncio.gather(*(svc.enrol(token, cls["id"]) for _ in range(10)))
    assert sorted(r.status for r in replies) == [201] + [409] * 9
    assert {r.body["code"] for r in replies if r.status == 409} == {"already_enrolled"}
    assert await svc.pool.fetchval("SELECT count(*) FROM enrollments WHERE trainee_id = $1",
                                   trainee_id) == 1
