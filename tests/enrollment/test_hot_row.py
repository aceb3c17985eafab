"""Hot-row batching: concurrent bookings of one class in one process share one transaction."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from services.enrollment.commands import Enrol
from services.enrollment.deps import Deps
from services.enrollment.handlers.enrol import Answer, idempotency_key
from services.enrollment.handlers.self_enrol import enrol_self
from shared.auth import Principal
from shared.combiner import Combiner
from shared.errors import Conflict, DomainError, InvalidState
from shared.messaging.uow import PostgresUnitOfWork
from tests.enrollment.support import Service


@dataclasses.dataclass
class Counted:
    """Deps whose transactions are counted (the real unit of work underneath)."""

    deps: Deps
    opened: int = 0
    fail_first: type[Exception] | None = None
    started: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


def counted(svc: Service, *, fail_first: type[Exception] | None = None) -> Counted:
    """Return the service's Deps with a fresh combiner and a counting unit-of-work factory."""
    inner = svc.deps.uows
    box = Counted(svc.deps, fail_first=fail_first)

    @asynccontextmanager
    async def uows() -> AsyncIterator[PostgresUnitOfWork]:
        box.opened += 1
        box.started.set()
        async with inner() as uow:
            yield uow
            if box.fail_first and box.opened == 1:  # rolls the whole batch back
                raise box.fail_first("the first transaction failed")

    box.deps = dataclasses.replace(svc.deps, uows=uows, bookings=Combiner())
    return box


def enrol(deps: Deps, class_id: str, user_id: UUID, *, role: str = "trainee",
          key: str | None = None) -> asyncio.Future[Answer]:
    """Start one self-service booking (arrival order is the order of these calls)."""
    cmd = Enrol(class_id=UUID(class_id))
    actor = Principal(user_id, role)  # type: ignore[arg-type]
    ikey = idempotency_key(key, user_id=user_id, method="POST", path="/api/v1/enrollments",
                           body=cmd)
    return asyncio.ensure_future(enrol_self(cmd, deps=deps, actor=actor, key=ikey))


async def test_sixty_concurrent_bookings_of_a_20_seat_class_take_one_transaction_in_arrival_order(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=20)
    trainees = await svc.add_trainees(60)
    box = counted(svc)

    answers = await asyncio.gather(*(enrol(box.deps, cls["id"], t) for t, _ in trainees))

    assert box.opened == 1
    bodies = [json.loads(a.body) for a in answers]
    assert [a.status for a in answers] == [201] * 60
    assert [b["status"] for b in bodies] == ["confirmed"] * 20 + ["waitlisted"] * 40
    assert [b["waitlist_position"] for b in bodies[20:]] == list(range(1, 41))
    rows = await svc.pool.fetch(
        "SELECT id, trainee_id FROM enrollments WHERE class_id = $1 ORDER BY booking_no",
        UUID(cls["id"]),
    )
    assert [r["trainee_id"] for r in rows] == [t for t, _ in trainees]
    assert [str(r["id"]) for r in rows] == [b["id"] for b in bodies]
    seats = await svc.pool.fetchrow(
        "SELECT seats_taken, waitlist_length FROM classes WHERE id = $1", UUID(cls["id"]))
    assert seats is not None
    assert (seats["seats_taken"], seats["waitlist_length"]) == (20, 40)
    assert [len(await svc.events(b["id"])) for b in bodies] == [1] * 60


async def test_a_duplicate_or_refused_booking_in_a_batch_is_refused_alone(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=2)
    t1, t2, t3, t4 = [t for t, _ in await svc.add_trainees(4)]
    admin_id, _ = await svc.add_user("admin", name="Admin")
    box = counted(svc)

    futures = [
        enrol(box.deps, cls["id"], t1),
        enrol(box.deps, cls["id"], t1),  # the same trainee again, no key
        enrol(box.deps, cls["id"], admin_id, role="admin", key="adm-1"),  # not a trainee
        enrol(box.deps, cls["id"], admin_id, role="admin", key="adm-1"),  # ... and its retry
        enrol(box.deps, cls["id"], t2, key="tap-1"),
        enrol(box.deps, cls["id"], t2, key="tap-1"),  # a retry: the stored answer
        enrol(box.deps, cls["id"], t3),
        enrol(box.deps, cls["id"], t4),
    ]
    outcomes = await asyncio.gather(*futures, return_exceptions=True)

    assert box.opened == 1
    first, dup, not_trainee, not_again, keyed, replay, third, fourth = outcomes
    assert isinstance(dup, Conflict)
    assert dup.code == "already_enrolled"
    assert isinstance(not_trainee, InvalidState)
    assert not_trainee.code == "not_a_trainee"
    assert isinstance(not_again, InvalidState)
    # A refusal leaves its Idempotency-Key unclaimed, as a rolled-back transaction would.
    assert await svc.pool.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE user_id = $1", admin_id) == 0
    assert await svc.pool.fetchval(
        "SELECT count(*) FROM idempotency_keys WHERE user_id = $1 AND status = 201", t2) == 1
    assert isinstance(first, Answer)
    assert isinstance(keyed, Answer)
    assert isinstance(replay, Answer)
    assert replay.replayed
    assert not keyed.replayed
    assert json.loads(replay.body) == json.loads(keyed.body)
    assert isinstance(third, Answer)
    assert isinstance(fourth, Answer)
    statuses = [json.loads(a.body)["status"] for a in (first, keyed, third, fourth)]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [json.loads(a.body)["waitlist_position"] for a in (third, fourth)] == [1, 2]
    rows = await svc.pool.fetch(
        "SELECT trainee_id FROM enrollments WHERE class_id = $1 ORDER BY booking_no",
        UUID(cls["id"]),
    )
    assert [r["trainee_id"] for r in rows] == [t1, t2, t3, t4]


async def test_a_batch_that_loses_a_lock_race_is_repeated_whole(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=3)
    trainees = await svc.add_trainees(5)
    box = counted(svc, fail_first=asyncpg.SerializationError)

    answers = await asyncio.gather(*(enrol(box.deps, cls["id"], t) for t, _ in trainees))

    assert box.opened == 2
    bodies = [json.loads(a.body) for a in answers]
    assert [b["status"] for b in bodies] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [b["waitlist_position"] for b in bodies[3:]] == [1, 2]
    count = await svc.pool.fetchval(
        "SELECT count(*) FROM enrollments WHERE class_id = $1", UUID(cls["id"]))
    assert count == 5


async def test_bookings_arriving_during_a_batch_form_the_next_one(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    trainees = [t for t, _ in await svc.add_trainees(4)]
    box = counted(svc)

    first = enrol(box.deps, cls["id"], trainees[0])
    await box.started.wait()  # the first batch (of one) has opened its transaction
    rest = [enrol(box.deps, cls["id"], t) for t in trainees[1:]]
    answers = [await first, *await asyncio.gather(*rest)]

    assert box.opened == 2
    positions = [json.loads(a.body)["waitlist_position"] for a in answers]
    assert positions == [None, 1, 2, 3]


async def test_a_batch_takes_at_most_its_limit_and_the_rest_follow_in_order(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    trainees = [t for t, _ in await svc.add_trainees(5)]
    box = counted(svc)
    box.deps = dataclasses.replace(box.deps, bookings=Combiner(most=2))

    answers = await asyncio.gather(*(enrol(box.deps, cls["id"], t) for t in trainees))

    assert box.opened == 3
    positions = [json.loads(a.body)["waitlist_position"] for a in answers]
    assert positions == [None, 1, 2, 3, 4]


async def test_a_batch_failing_unexpectedly_is_booked_again_one_by_one(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=1)
    t1, t2 = [t for t, _ in await svc.add_trainees(2)]
    box = counted(svc, fail_first=RuntimeError)

    outcomes = await asyncio.gather(enrol(box.deps, cls["id"], t1),
                                    enrol(box.deps, cls["id"], t2),
                                    enrol(box.deps, cls["id"], t1), return_exceptions=True)

    assert box.opened == 4  # the batch, then one transaction per booking
    first, second, again = outcomes
    assert isinstance(first, Answer)
    assert isinstance(second, Answer)
    assert isinstance(again, Conflict)
    assert [json.loads(a.body)["waitlist_position"] for a in (first, second)] == [None, 1]
    rows = await svc.pool.fetch(
        "SELECT trainee_id FROM enrollments WHERE class_id = $1 ORDER BY booking_no",
        UUID(cls["id"]),
    )
    assert [r["trainee_id"] for r in rows] == [t1, t2]


async def test_course_rules_refuse_only_the_ineligible_trainee_of_a_batch(svc: Service) -> None:
    admin = await svc.admin_token()
    course = await svc.create_course(admin)
    ruled = await svc.call("PUT", f"/api/v1/courses/{course['id']}/rules", token=admin,
                           json_body={"min_age": 16, "max_age": 60})
    assert ruled.status == 200, ruled.body
    cls = await svc.create_class(admin, course_id=course["id"], capacity=1)
    (first, first_token), (unknown, _), (second, second_token) = await svc.add_trainees(3)
    for token in (first_token, second_token):
        recorded = await svc.call("PUT", "/api/v1/me/birth-date", token=token,
                                  json_body={"birth_date": "2000-01-01"})
        assert recorded.status == 204
    box = counted(svc)

    outcomes = await asyncio.gather(enrol(box.deps, cls["id"], first),
                                    enrol(box.deps, cls["id"], unknown),
                                    enrol(box.deps, cls["id"], second), return_exceptions=True)

    assert box.opened == 1
    ok_first, refused, ok_second = outcomes
    assert isinstance(refused, DomainError)
    assert refused.code == "age_unknown"
    assert isinstance(ok_first, Answer)
    assert isinstance(ok_second, Answer)
    assert [json.loads(a.body)["waitlist_position"] for a in (ok_first, ok_second)] == [None, 1]
