"""Recorded changes to trainees' names and ID numbers after enrolment."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.db import Conn
from shared.ids import new_id


async def has_enrolment(conn: Conn, user_id: UUID) -> bool:
    """Tell whether the user ever enrolled in a class."""
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM enrollments WHERE trainee_id = $1)", user_id))


async def insert_change(
    conn: Conn, user_id: UUID, fields: list[str], *, reason: str | None, actor_id: UUID,
    actor_role: str, now: datetime,
) -> UUID:
    """Record one change; return its id."""
    change_id = new_id()
    await conn.execute(
        """INSERT INTO identity_changes (id, user_id, fields, reason, changed_by,
                                         changed_by_role, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        change_id, user_id, fields, reason, actor_id, actor_role, now)
    return change_id


async def lock_user(conn: Conn, user_id: UUID) -> bool:
    """Lock a user's row as a profile update does (until commit); False when there is none."""
    return bool(await conn.fetchval(
        "SELECT true FROM users WHERE id = $1 FOR NO KEY UPDATE", user_id))


async def confirm_all(conn: Conn, user_id: UUID, *, actor_id: UUID, now: datetime) -> int:
    """Confirm every unconfirmed change of a user; return how many."""
    status: str = await conn.execute(
        """UPDATE identity_changes SET confirmed_by = $2, confirmed_at = $3
           WHERE user_id = $1 AND confirmed_at IS NULL""", user_id, actor_id, now)
    return int(status.split()[-1])


async def review_state(conn: Conn, user_id: UUID) -> tuple[int, int]:
    """Return (unconfirmed changes, next seq) for the event telling certification."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM identity_changes
                   WHERE user_id = $1 AND confirmed_at IS NULL) AS unconfirmed,
                  nextval('identity_review_seq') AS seq""", user_id)
    assert row is not None
    return int(row["unconfirmed"]), int(row["seq"])
