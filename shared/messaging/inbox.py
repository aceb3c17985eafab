"""Inbox: remember processed messages per consumer, in the handler's transaction."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db import Conn

_CLAIM = """
INSERT INTO inbox (consumer, message_id, message_type) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING 1
"""


async def claim(conn: Conn, *, consumer: str, message_id: UUID, message_type: str) -> bool:
    """Record the message as processed; return False when it already was (skip it)."""
    # A concurrent claim of the same id waits on the unique index until the first commits.
    return await conn.fetchval(_CLAIM, consumer, message_id, message_type) is not None


async def purge(pool: asyncpg.Pool, *, older_than_days: int) -> int:
    """Delete inbox rows past retention; return how many went."""
    status = await pool.execute(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(days => $1)", older_than_days
    )
    return int(status.split()[-1])
