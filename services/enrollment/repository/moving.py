"""Writing a move: the enrolment takes the next booking number of its new class."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db import Conn


async def lock_classes(conn: Conn, class_ids: list[UUID]) -> dict[UUID, asyncpg.Record]:
    """Lock classes in id order (two moves between the same classes never deadlock)."""
    rows = await conn.fetch(
        """SELECT c.*, co.move_cutoff_days FROM classes c JOIN courses co ON co.id = c.course_id
           WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR NO KEY UPDATE OF c""",
        sorted(set(class_ids)),
    )
    return {r["id"]: r for r in rows}


async def move_to(conn: Conn, enrollment_id: UUID, class_id: UUID) -> None:
    """Put an enrolment into a locked class's next booking and seat."""
    await conn.execute(
        """WITH seat AS (
               UPDATE classes SET bookings = bookings + 1, seats_taken = seats_taken + 1
               WHERE id = $2 RETURNING bookings)
           UPDATE enrollments SET class_id = $2, booking_no = (SELECT bookings FROM seat)
           WHERE id = $1""",
        enrollment_id, class_id,
    )
