"""Unit of work: one transaction plus the events it will publish through the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import asyncpg

from shared.db import Conn
from shared.events.envelope import Event
from shared.messaging.outbox import OutboxWriter


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
