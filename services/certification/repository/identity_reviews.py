"""Each holder's count of identity changes awaiting confirmation (TraineeIdentityReviewed)."""

from __future__ import annotations

from uuid import UUID

from shared.db import Conn

_UPSERT = """
INSERT INTO identity_reviews (user_id, unconfirmed, seq) VALUES ($1, $2, $3)
ON CONFLICT (user_id) DO UPDATE SET
    unconfirmed = EXCLUDED.unconfirmed, seq = EXCLUDED.seq, updated_at = now()
WHERE identity_reviews.seq < EXCLUDED.seq
RETURNING seq
"""


async def record_review(conn: Conn, *, user_id: UUID, unconfirmed: int, seq: int) -> bool:
    """Store a holder's unconfirmed count unless an equal or later seq is known."""
    return await conn.fetchval(_UPSERT, user_id, unconfirmed, seq) is not None


async def unconfirmed(conn: Conn, user_id: UUID | None) -> int:
    """Return how many identity changes of the holder await confirmation (0 when none known)."""
    if user_id is None:
        return 0
    count = await conn.fetchval("SELECT unconfirmed FROM identity_reviews WHERE user_id = $1",
                                user_id)
    return int(count or 0)
