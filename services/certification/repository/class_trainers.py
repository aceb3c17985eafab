"""Each class's current trainers, as its latest ClassTrainersChanged names them."""

from __future__ import annotations

from uuid import UUID

from shared.db import Conn

_UPSERT_TRAINERS = """
INSERT INTO class_trainers (class_id, trainer_ids, seq) VALUES ($1, $2, $3)
ON CONFLICT (class_id) DO UPDATE SET
    trainer_ids = EXCLUDED.trainer_ids, seq = EXCLUDED.seq, updated_at = now()
WHERE class_trainers.seq < EXCLUDED.seq
RETURNING seq
"""


async def record_class_trainers(
    conn: Conn, *, class_id: UUID, trainer_ids: list[UUID], seq: int
) -> bool:
    """Store a class's current trainers unless an equal or later seq is known; True if stored."""
    stored = await conn.fetchval(_UPSERT_TRAINERS, class_id, trainer_ids, seq)
    return stored is not None


async def class_trainers(conn: Conn, class_id: UUID) -> list[UUID] | None:
    """Return a class's current trainers, or None before any ClassTrainersChanged arrived."""
    ids = await conn.fetchval("SELECT trainer_ids FROM class_trainers WHERE class_id = $1",
                              class_id)
    return list(ids) if ids is not None else None
