"""Unit of work: one transaction plus the events it will publish through the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol, TypeVar

import asyncpg

from shared.db import Conn, is_transient
from shared.events.envelope import Event
from shared.logging import get_logger
from shared.messaging.outbox import OutboxWriter

log = get_logger(__name__)


class UnitOfWork(Protocol):
    """What a handler needs: the open transaction's connection and a way to emit events."""

    conn: Conn

    async def publish(self, *events: Event) -> None:
        """Emit events atomically with the transaction."""


class PostgresUnitOfWork:
    """A unit of work bound to an open asyncpg transaction."""

    def __init__(self, conn: Conn, outbox: OutboxWriter) -> None:
        self.conn = conn
        self._outbox = outbox
        self.published: list[Event] = []

    async def publish(self, *events: Event) -> None:
        """Insert events into the outbox of this transaction."""
        await self._outbox.add(self.conn, *events)
        self.published.extend(events)


UowFactory = Callable[[], AbstractAsyncContextManager[PostgresUnitOfWork]]


def uow_factory(pool: asyncpg.Pool, outbox: OutboxWriter) -> UowFactory:
    """Return a factory that opens a transaction per unit of work and commits on success."""

    @asynccontextmanager
    async def open_uow() -> AsyncIterator[PostgresUnitOfWork]:
        async with pool.acquire() as conn, conn.transaction():
            yield PostgresUnitOfWork(conn, outbox)

    return open_uow


T = TypeVar("T")
# A deadlock or serialization failure is retried this many times in all (first try included).
_ATTEMPTS = 4


async def in_transaction(uows: UowFactory, work: Callable[[PostgresUnitOfWork], Awaitable[T]]) -> T:
    """Run `work` in one transaction; repeat it after a deadlock or serialization failure."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with uows() as uow:
                return await work(uow)
        except Exception as exc:
            if not is_transient(exc) or attempt == _ATTEMPTS:
                raise
            log.info("transaction_retried", error=type(exc).__name__, attempt=attempt)
    raise AssertionError("unreachable")
