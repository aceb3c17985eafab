"""Session times of class days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from uuid import UUID

from shared.db import Conn


async def stored_times(conn: Conn, class_id: UUID) -> dict[date, list[tuple[time, time]]]:
    """Return the stored session times of a class's days, in order."""
    rows = await conn.fetch(
        """SELECT class_day, starts_at, ends_at FROM class_sessions WHERE class_id = $1
           ORDER BY class_day, no""", class_id)
    times: dict[date, list[tuple[time, time]]] = {}
    for r in rows:
        times.setdefault(r["class_day"], []).append((r["starts_at"], r["ends_at"]))
    return times


async def replace_times(
    conn: Conn, class_id: UUID, days: Sequence[date], times: Sequence[tuple[time, time]]
) -> None:
    """Give each of the days these sessions (numbered 1, 2 ... in order)."""
    await conn.execute("DELETE FROM class_sessions WHERE class_id = $1 AND class_day = ANY($2)",
                       class_id, list(days))
    await conn.executemany(
        """INSERT INTO class_sessions (class_id, class_day, no, starts_at, ends_at)
           VALUES ($1, $2, $3, $4, $5)""",
        [(class_id, day, no, starts, ends) for day in days
         for no, (starts, ends) in enumerate(times, start=1)])


async def class_days(conn: Conn, class_id: UUID) -> list[date] | None:
    """Return a class's days, or None when there is no such class."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT class_days FROM classes WHERE id = $1", class_id)
