"""Revoked access: the disabled users and token versions every service checks on each request.

Each service keeps a table of them (enrollment: its users; the others: `user_access`, filled
from `user.access_changed` by shared/user_access.py). Every process holds the whole (small)
table in memory, re-read when the table's trigger notifies `jiangxin_user_access` and every
`access_refresh_s` anyway, so a request costs one dictionary lookup and a revocation reaches
every instance at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from shared.auth import Principal
from shared.db import Listener
from shared.errors import Unauthorized
from shared.logging import get_logger

log = get_logger(__name__)

CHANNEL = "jiangxin_user_access"

# Rows of (user_id, token_version, disabled) for every user with a revocation on record.
AccessLoader = Callable[[asyncpg.Pool], Awaitable[Iterable[tuple[UUID, int, bool]]]]


@dataclass(frozen=True, slots=True)
class UserAccess:
    """The oldest token version still valid for a user, and whether the account is disabled."""

    version: int
    disabled: bool


class AccessList:
    """The revocations in force, checked on every authenticated request."""

    def __init__(self) -> None:
        self._users: dict[UUID, UserAccess] = {}

    def replace(self, rows: Iterable[tuple[UUID, int, bool]]) -> None:
        """Replace the whole list with freshly read rows."""
        self._users = {user: UserAccess(version, disabled) for user, version, disabled in rows}

    def check(self, principal: Principal) -> None:
        """Raise Unauthorized (token_revoked) for a disabled user or an outdated token."""
        access = self._users.get(principal.user_id)
        if access is not None and (access.disabled or principal.version < access.version):
            raise Unauthorized("This sign-in has been ended; sign in again.",
                               code="token_revoked")


async def read_user_access(pool: asyncpg.Pool) -> list[tuple[UUID, int, bool]]:
    """Return the rows of the `user_access` table (certification, notification)."""
    rows = await pool.fetch("SELECT user_id, token_version, disabled FROM user_access")
    return [(r["user_id"], r["token_version"], r["disabled"]) for r in rows]


class AccessRefresher:
    """Keep an AccessList current: re-read on a notification and every `interval_s`."""

    def __init__(self, *, dsn: str, pool: asyncpg.Pool, load: AccessLoader,
                 access: AccessList, interval_s: float) -> None:
        self.pool, self.load, self.access, self.interval_s = pool, load, access, interval_s
        self._wake = asyncio.Event()
        self.listener = Listener(dsn, CHANNEL, self._wake.set)
        self._tasks: list[asyncio.Task[None]] = []

    async def refresh(self) -> None:
        """Read the table now."""
        self.access.replace(await self.load(self.pool))

    async def start(self) -> None:
        """Listen, read the table once (raising when it cannot be read: a service that would
        accept every revoked token must not start), then keep it current in the background."""
        # Listening first: a revocation committed after this read wakes the loop (a
        # notification, or the listener's own wake-up once it is connected).
        self._tasks.append(asyncio.create_task(self.listener.run(), name="user-access-listen"))
        try:
            await self.refresh()
        except BaseException:
            await self.stop()
            raise
        self._tasks.append(asyncio.create_task(self._keep_current(), name="user-access"))

    async def stop(self) -> None:
        """Stop refreshing and listening."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_current(self) -> None:
        """Refresh until cancelled; a failed read keeps the last list and tries again."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()
            try:
                await self.refresh()
            except Exception as exc:  # database down: keep the list, never crash
                log.warning("user_access_refresh_failed", error=repr(exc))
