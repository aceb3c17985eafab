"""Courses and classes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Conn

COURSE_FIELDS = (
    "code", "title_zh", "title_en", "category", "occupation_code", "occupation_name",
    "work_type", "level", "required_hours", "theory_pass", "practical_pass",
    "certificate_validity_months", "issue_policy", "attendance_threshold", "description",
    "certificate_kind", "move_cutoff_days",
)
CLASS_FIELDS = (
    "course_id", "name", "trainer_ids", "starts_on", "ends_on", "class_days", "session_start",
    "hours_per_day", "venue", "online", "capacity", "enroll_opens_at", "enroll_closes_at",
    "waitlist_policy", "offer_hours", "union_members_only", "attendance_threshold",
)
_UPDATABLE_CLASS = frozenset({
    "name", "capacity", "trainer_ids", "venue", "online", "session_start", "enroll_opens_at",
    "enroll_closes_at", "waitlist_policy", "offer_hours", "union_members_only",
    "attendance_threshold",
})


async def insert_course(
    conn: Conn, course_id: UUID, values: dict[str, Any], now: datetime
) -> bool:
    """Create a course; return False when its code is taken."""
    columns = ", ".join(COURSE_FIELDS)
    params = ", ".join(f"${i}" for i in range(3, len(COURSE_FIELDS) + 3))
    inserted = await conn.fetchval(
        f"INSERT INTO courses (id, created_at, {columns}) VALUES ($1, $2, {params}) "
        "ON CONFLICT (code) DO NOTHING RETURNING id",
        course_id, now, *(values[f] for f in COURSE_FIELDS),
    )
    return inserted is not None


async def course_by_id(conn: Conn, course_id: UUID) -> asyncpg.Record | None:
    """Return a course."""
    return await conn.fetchrow("SELECT * FROM courses WHERE id = $1", course_id)


async def course_by_code(conn: Conn, code: str) -> asyncpg.Record | None:
    """Return a course by its code."""
    return await conn.fetchrow("SELECT * FROM courses WHERE code = $1", code)


async def set_min_attendance_ratio(conn: Conn, course_id: UUID, ratio: Decimal) -> bool:
    """Set a course's minimum share of required hours; False when there is no such course."""
    done = await conn.execute(
        "UPDATE courses SET min_attendance_ratio = $2 WHERE id = $1", course_id, ratio)
    return not done.endswith(" 0")


async def class_exists(conn: Conn, *, course_id: UUID, venue: str) -> bool:
    """Tell whether a course has a class at this venue (demo seeding is idempotent)."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM classes WHERE course_id = $1 AND venue = $2 LIMIT 1", course_id, venue))


async def trainers_among(conn: Conn, ids: Sequence[UUID]) -> set[UUID]:
    """Return which of these users are trainers or administrators."""
    rows = await conn.fetch(
        "SELECT id FROM users WHERE id = ANY($1::uuid[]) AND role IN ('trainer', 'admin')",
        list(ids),
    )
    return {r["id"] for r in rows}


async def insert_class(
    conn: Conn, class_id: UUID, values: dict[str, Any], now: datetime
) -> None:
    """Create a class."""
    columns = ", ".join(CLASS_FIELDS)
    params = ", ".join(f"${i}" for i in range(3, len(CLASS_FIELDS) + 3))
    await conn.execute(
        f"INSERT INTO classes (id, created_at, {columns}) VALUES ($1, $2, {params})",
        class_id, now, *(values[f] for f in CLASS_FIELDS),
    )


async def lock_class(conn: Conn, class_id: UUID) -> asyncpg.Record | None:
    """Lock a class row (every change to its seats or enrolments goes through this lock)."""
    return await conn.fetchrow(
        """SELECT c.*, co.attendance_threshold AS course_threshold, co.required_hours,
                  co.theory_pass, co.practical_pass
           FROM classes c JOIN courses co ON co.id = c.course_id
           WHERE c.id = $1 FOR NO KEY UPDATE OF c""",
        class_id,
    )


async def class_access(conn: Conn, class_id: UUID) -> asyncpg.Record | None:
    """Return a class's trainers and status (unlocked), or None when there is no such class."""
    return await conn.fetchrow(
        "SELECT id, trainer_ids, status FROM classes WHERE id = $1", class_id)


async def next_trainers_seq(conn: Conn, class_id: UUID) -> int:
    """Count one more change of a (locked or new) class's trainers; return its seq."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "UPDATE classes SET trainers_seq = trainers_seq + 1 WHERE id = $1 RETURNING trainers_seq",
        class_id,
    )


async def update_class(conn: Conn, class_id: UUID, changes: dict[str, Any]) -> None:
    """Write the given class columns (names come from our own code, never from input)."""
    columns = [c for c in changes if c in _UPDATABLE_CLASS]
    if not columns:
        return
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    await conn.execute(
        f"UPDATE classes SET {sets} WHERE id = $1", class_id, *(changes[c] for c in columns)
    )


async def save_counters(
    conn: Conn, class_id: UUID, *, seats_taken: int, waitlist_length: int
) -> None:
    """Write a locked class's seat and waitlist counters."""
    await conn.execute(
        "UPDATE classes SET seats_taken = $2, waitlist_length = $3 WHERE id = $1",
        class_id, seats_taken, waitlist_length,
    )


async def mark_cancelled(
    conn: Conn, class_id: UUID, *, reason: str | None,
    seats_taken: int,
) -> None:
    """Cancel a locked class."""
    await conn.execute(
        "UPDATE classes SET status = 'cancelled', cancel_reason = $2, seats_taken = $3, "
        "waitlist_length = 0 WHERE id = $1",
        class_id, reason, seats_taken,
    )


async def reschedule(
    conn: Conn, class_id: UUID, *, starts_on: date, ends_on: date,
    days: list[date], session_start: time | None, venue: str, online: bool,
    hours_per_day: Decimal,
) -> None:
    """Move a locked class to new days."""
    await conn.execute(
        """UPDATE classes SET starts_on = $2, ends_on = $3, class_days = $4, session_start = $5,
                  venue = $6, online = $7, hours_per_day = $8 WHERE id = $1""",
        class_id, starts_on, ends_on, days, session_start, venue, online, hours_per_day,
    )


async def mark_released(conn: Conn, class_id: UUID, now: datetime) -> None:
    """Record that a class's results were released (the first time)."""
    await conn.execute(
        "UPDATE classes SET results_released_at = coalesce(results_released_at, $2) WHERE id = $1",
        class_id, now,
    )
