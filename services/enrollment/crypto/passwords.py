"""Password hashing (argon2id): bounded memory, a few hashes in flight, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.errors import Busy

T = TypeVar("T")
_DUMMY_PASSWORD = "not-a-real-password"


@dataclass(frozen=True, slots=True)
class HashLimits:
    """Argon2id cost (RFC 9106 / OWASP: 19-46 MiB, t=1-2) and how many hashes run at once.

    A hash holds `memory_kib` while it runs, so `in_flight` bounds the memory sign-in can take:
    a request that finds no slot within `wait_s` is refused (503, Retry-After) unhashed."""

    memory_kib: int = 19 * 1024
    time_cost: int = 2
    parallelism: int = 1
    in_flight: int = 2
    wait_s: float = 2.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a password matched, and whether its hash should be remade with today's cost."""

    matched: bool
    needs_rehash: bool = False


class PasswordHashing:
    """Hash and verify passwords, never more than `limits.in_flight` at once in this process."""

    def __init__(self, limits: HashLimits) -> None:
        self.limits = limits
        self._hasher = PasswordHasher(time_cost=limits.time_cost, memory_cost=limits.memory_kib,
                                      parallelism=limits.parallelism)
        self._dummy = self._hasher.hash(_DUMMY_PASSWORD)
        # Own threads: argon2's memory is reused per thread, so a bounded pool bounds it too.
        self._threads = ThreadPoolExecutor(limits.in_flight, thread_name_prefix="argon2")
        self._slots = asyncio.Semaphore(limits.in_flight)

    async def hash(self, password: str) -> str:
        """Return an argon2id hash with today's cost."""
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, stored_hash: str | None, password: str) -> Verdict:
        """Check a password against its hash; as slow when there is none (unknown phone)."""
        return await self._run(lambda: self._verify(stored_hash, password))

    def close(self) -> None:
        """Stop the hashing threads."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _verify(self, stored_hash: str | None, password: str) -> Verdict:
        try:
            matched = self._hasher.verify(stored_hash or self._dummy, password)
        except (VerificationError, InvalidHashError):
            return Verdict(matched=False)
        if stored_hash is None or not matched:
            return Verdict(matched=False)
        return Verdict(matched=True, needs_rehash=self._hasher.check_needs_rehash(stored_hash))

    async def _run(self, work: Callable[[], T]) -> T:
        async with self.slot():
            return await asyncio.get_running_loop().run_in_executor(self._threads, work)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the hashing slots; raise Busy when none frees up within `wait_s`."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.wait_s)
        except TimeoutError:
            raise Busy("Too many sign-ins are being checked; try again in a moment.",
                       retry_after=1, code="password_check_busy") from None
        try:
            yield
        finally:
            self._slots.release()
