"""Password hashing costs bounded memory: server argon2id cost, few hashes at once, 503 beyond."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from argon2 import PasswordHasher

from services.enrollment.crypto.passwords import HashLimits, PasswordHashing
from shared.errors import Busy
from shared.web.problem import problem_for
from tests.enrollment.conftest import StartService
from tests.enrollment.test_password_limits import PASSWORD, TRAINER, add_trainer, sign_in


@pytest_asyncio.fixture
async def hashing() -> AsyncIterator[PasswordHashing]:
    """One hashing slot that waits a moment for a free slot."""
    hashing = PasswordHashing(HashLimits(in_flight=1, wait_s=0.05))
    yield hashing
    hashing.close()


async def test_new_hashes_use_the_rfc_9106_server_profile_of_19_mib_and_two_passes(
    hashing: PasswordHashing,
) -> None:
    stored = await hashing.hash(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await hashing.verify(stored, PASSWORD)).matched
    assert not (await hashing.verify(stored, "wrong")).matched


async def test_a_hash_made_with_the_old_64_mib_cost_still_verifies_and_asks_to_be_remade(
    hashing: PasswordHashing,
) -> None:
    old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's default: 64 MiB, t=3, p=4
    verdict = await hashing.verify(old, PASSWORD)
    assert verdict.matched
    assert verdict.needs_rehash
    assert not (await hashing.verify(await hashing.hash(PASSWORD), PASSWORD)).needs_rehash


async def test_a_hash_waiting_longer_than_its_wait_for_a_slot_is_refused_busy_unhashed(
    hashing: PasswordHashing,
) -> None:
    async with hashing.slot():  # every slot taken, as by a flood of sign-ins
        with pytest.raises(Busy) as refused:
            await hashing.verify(None, PASSWORD)
    assert (refused.value.code, refused.value.retry_after) == ("password_check_busy", 1)
    assert not (await hashing.verify(None, PASSWORD)).matched  # the slot is free again


def test_busy_is_a_503_problem_with_retry_after() -> None:
    response = problem_for(Busy("busy", retry_after=1, code="password_check_busy"))
    assert response is not None
    assert (response.status, response.headers["Retry-After"]) == (503, "1")
    assert json.loads(response.text or "")["code"] == "password_check_busy"


async def test_a_sign_in_with_an_old_cost_hash_succeeds_and_stores_it_with_todays_cost(
    start_service: StartService,
) -> None:
    svc = await start_service()
    await add_trainer(svc)
    old = PasswordHasher().hash(PASSWORD)  # what accounts were made with: 64 MiB, t=3, p=4
    await svc.pool.execute("UPDATE users SET password_hash = $1 WHERE phone = $2", old, TRAINER)
    assert (await sign_in(svc, PASSWORD)).status == 200
    stored = await svc.pool.fetchval("SELECT password_hash FROM users WHERE phone = $1", TRAINER)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await sign_in(svc, PASSWORD)).status == 200


async def test_sign_ins_refused_busy_neither_count_as_failures_nor_lock_the_phone(
    start_service: StartService,
) -> None:
    svc = await start_service(password_hashes_in_flight=1, password_hash_wait_s=0.05)
    await add_trainer(svc)
    async with svc.deps.passwords.slot():  # the process is hashing at its limit
        for _ in range(6):  # more than the five failures that lock a phone
            busy = await sign_in(svc, PASSWORD)
            assert (busy.status, busy.body["code"]) == (503, "password_check_busy")
            assert busy.headers["Retry-After"] == "1"
    assert (await sign_in(svc, PASSWORD)).status == 200


async def test_a_locked_address_is_refused_before_any_hash_even_while_hashing_is_busy(
    start_service: StartService,
) -> None:
    svc = await start_service(trusted_proxies=("127.0.0.1",), password_failures_per_ip=2,
                              password_hashes_in_flight=1, password_hash_wait_s=0.05)
    await add_trainer(svc)
    for _ in range(2):
        assert (await sign_in(svc, "guess", forwarded_for="203.0.113.9")).status == 401
    async with svc.deps.passwords.slot():  # a hash would answer 503: the address answers first
        refused = await sign_in(svc, PASSWORD, forwarded_for="203.0.113.9")
    assert (refused.status, refused.body["code"]) == (429, "too_many_attempts")
