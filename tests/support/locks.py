"""Force an interleaving of transactions with real PostgreSQL locks.

Hold a lock that one request needs half-way (`holding`), start the racing requests, wait until
each one waits for a lock (`until_waiting`), then let go: the requests run on in the order that
reproduces the race, on every run, with no sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from tests.support.infra import eventually


@asynccontextmanager
async def holding(pool: asyncpg.Pool, sql: str, *args: Any) -> AsyncIterator[None]:
    """Run `sql` (a SELECT ... FOR UPDATE, a LOCK TABLE) in a transaction kept open, and so its
    locks held, until the block ends; then roll it back."""
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(sql, *args)
            yield
        finally:
            await tx.rollback()


async def until_waiting(pool: asyncpg.Pool, count: int) -> None:
    """Wait until `count` sessions of the pool's database wait for a lock."""

    async def waiting() -> bool:
        found = await pool.fetchval(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'""")
        return bool(found >= count)

    await eventually(waiting)
