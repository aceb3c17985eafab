"""Inbox: remember processed messages per consumer, in the handler's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from shared.db import Conn

_CLAIM = """
INSERT INTO inbox (consumer, message_id, message_type) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING 1
"""

_CLAIM_MANY = """
INSERT INTO inbox (consumer, message_id, message_type)
SELECT $1, m.id, m.type FROM unnest($2::uuid[], $3::text[]) AS m(id, type)
ON CONFLICT DO NOTHING RETURNING message_id
"""


async def claim(conn: Conn, *, consumer: str, message_id: UUID, message_type: str) -> bool:
    """Record the message as processed; return False when it already was (skip it)."""
    # A concurrent claim of the same id waits on the unique index until the first commits.
    return await conn.fetchval(_CLAIM, consumer, message_id, message_type) is not None


async def claim_many(
    conn: Conn, *, consumer: str, messages: Sequence[tuple[UUID, str]]
) -> set[UUID]:
    """Record several messages as processed in one statement; return the ids not seen before."""
    rows = await conn.fetch(
        _CLAIM_MANY, consumer, [m[0] for m in messages], [m[1] for m in messages]
    )
    return {row["message_id"] for row in rows}


async def purge(pool: asyncpg.Pool, *, older_than_days: int) -> int:
    """Delete inbox rows past retention; return how many went."""
    status = await pool.execute(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(days => $1)", older_than_days
    )
    return int(status.split()[-1])
