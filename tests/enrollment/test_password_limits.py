"""Failed password sign-ins are limited per phone and per client address, in PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

from services.enrollment.crypto.passwords import HashLimits, PasswordHashing
from services.enrollment.handlers import jobs
from tests.enrollment.conftest import StartService
from tests.enrollment.support import START, Reply, Service, phone_of
from tests.support.clock import FakeClock

PASSWORD = "correct horse battery"
TRAINER = "+8613312300001"


async def add_trainer(svc: Service, phone: str = TRAINER) -> None:
    """Create a trainer with PASSWORD through the API."""
    created = await svc.call("POST", "/api/v1/users", token=await svc.admin_token(), json_body={
        "role": "trainer", "phone": phone, "name": "王老师", "password": PASSWORD})
    assert created.status == 201, created.body


async def sign_in(
    svc: Service, password: str, *, phone: str = TRAINER, forwarded_for: str | None = None
) -> Reply:
    """Try a password sign-in, optionally as a proxy forwarding for a client."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    return await svc.call("POST", "/api/v1/auth/token", headers=headers,
                          json_body={"phone": phone, "password": password})


async def trainer_service(start_service: StartService, **settings: object) -> Service:
    """Start an instance on a database of its own with one trainer (TRAINER, PASSWORD)."""
    svc = await start_service(**settings)
    await add_trainer(svc)
    return svc


async def fail(svc: Service, times: int) -> None:
    """Sign in as TRAINER with a wrong password `times` times, each refused with 401."""
    for _ in range(times):
        wrong = await sign_in(svc, "wrong password")
        assert (wrong.status, wrong.body["code"]) == (401, "invalid_credentials")


def assert_too_many(reply: Reply, retry_after: int) -> None:
    """Check a 429 problem with code too_many_attempts and its Retry-After."""
    assert reply.status == 429, reply.body
    assert reply.content_type == "application/problem+json"
    assert reply.body["code"] == "too_many_attempts"
    assert reply.headers["Retry-After"] == str(retry_after)


async def test_five_wrong_passwords_lock_the_phone_for_fifteen_minutes_even_for_the_right_one(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service)
    await fail(svc, 5)
    assert_too_many(await sign_in(svc, PASSWORD), retry_after=900)
    keys = await svc.pool.fetchval("SELECT string_agg(key, ',') FROM password_locks")
    assert "13312300001" not in keys  # the phone is kept only as a keyed hash
    svc.clock.advance(minutes=14)
    assert_too_many(await sign_in(svc, PASSWORD), retry_after=60)
    svc.clock.advance(minutes=1)
    assert (await sign_in(svc, PASSWORD)).status == 200


async def test_a_successful_sign_in_clears_the_count_but_never_a_running_lock(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service)
    await fail(svc, 3)
    assert (await sign_in(svc, PASSWORD)).status == 200
    await fail(svc, 4)  # 3 + 4 would pass the limit had the success not cleared the count
    assert (await sign_in(svc, PASSWORD)).status == 200
    await fail(svc, 5)
    svc.clock.advance(minutes=10)
    assert_too_many(await sign_in(svc, PASSWORD), retry_after=300)
    svc.clock.advance(minutes=5)
    assert (await sign_in(svc, PASSWORD)).status == 200
    await fail(svc, 1)  # the lock is over and cleared


async def test_an_unknown_phone_is_refused_and_locked_exactly_like_a_wrong_password(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service)
    wrong = await sign_in(svc, "wrong password")
    unknown = await sign_in(svc, "wrong password", phone="+8613312399999")
    assert (unknown.status, unknown.body) == (wrong.status, wrong.body)
    for _ in range(4):
        assert (await sign_in(svc, "anything", phone="+8613312399999")).status == 401
    assert_too_many(await sign_in(svc, "anything", phone="+8613312399999"), retry_after=900)
    hashing = PasswordHashing(HashLimits())
    assert not (await hashing.verify(None, "not-a-real-password")).matched  # the dummy's own
    hashing.close()


async def test_twenty_failures_from_one_address_lock_it_for_every_phone(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service, trusted_proxies=("127.0.0.1",))
    client = "203.0.113.5"
    for i in range(20):  # four tries on each of five phones: no phone reaches its limit
        reply = await sign_in(svc, "guess", phone=phone_of(40_000_000 + i % 5),
                              forwarded_for=client)
        assert reply.status == 401, (i, reply.body)
    assert_too_many(await sign_in(svc, PASSWORD, forwarded_for=client), retry_after=900)
    assert (await sign_in(svc, PASSWORD, forwarded_for="203.0.113.6")).status == 200
    svc.clock.advance(minutes=15)
    assert (await sign_in(svc, PASSWORD, forwarded_for=client)).status == 200


async def test_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_ignored(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service, password_failures_per_ip=3)
    for i in range(3):
        reply = await sign_in(svc, "guess", phone=phone_of(41_000_000 + i),
                              forwarded_for=f"198.51.100.{i}")
        assert reply.status == 401
    assert_too_many(await sign_in(svc, PASSWORD, forwarded_for="198.51.100.99"), retry_after=900)


async def test_instances_on_one_database_share_the_counts(start_service: StartService) -> None:
    clock = FakeClock(START)
    first = await start_service(clock=clock)
    second = await start_service(clock=clock)
    await add_trainer(first)
    for svc in (first, second, first, second, first):
        await fail(svc, 1)
    assert_too_many(await sign_in(second, PASSWORD), retry_after=900)


async def test_concurrent_guesses_get_no_more_tries_than_the_limit(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service)
    replies = await asyncio.gather(*(sign_in(svc, f"guess {i}") for i in range(10)))
    assert Counter(r.status for r in replies) == {401: 5, 429: 5}
    assert_too_many(await sign_in(svc, PASSWORD), retry_after=900)


async def test_housekeeping_forgets_failures_and_locks_that_no_longer_count(
    start_service: StartService,
) -> None:
    svc = await trainer_service(start_service)
    await fail(svc, 5)
    await jobs.housekeeping(deps=svc.deps)
    assert await svc.pool.fetchval("SELECT count(*) FROM password_locks") == 1
    svc.clock.advance(minutes=31)
    await jobs.housekeeping(deps=svc.deps)
    assert await svc.pool.fetchval("SELECT count(*) FROM password_failures") == 0
    assert await svc.pool.fetchval("SELECT count(*) FROM password_locks") == 0
