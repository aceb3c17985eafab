"""What the claim pack records: class plans, person categories, every export (audited)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.db import Conn


async def set_plans(
    conn: Conn, class_id: UUID, *, teaching: str | None, assessment: str | None
) -> None:
    """Change the class's teaching and/or assessment plan (None: leave as it is)."""
    await conn.execute(
        """UPDATE classes SET teaching_plan = coalesce($2, teaching_plan),
                  assessment_plan = coalesce($3, assessment_plan) WHERE id = $1""",
        class_id, teaching, assessment)


async def set_person_category(conn: Conn, user_id: UUID, category: str | None) -> None:
    """Record a user's person category."""
    await conn.execute("UPDATE users SET person_category = $2 WHERE id = $1", user_id, category)


async def record_export(
    conn: Conn, *, class_id: UUID, document: str, fmt: str, template: str, unmasked: bool,
    actor_id: UUID, actor_role: str, at: datetime,
) -> None:
    """Append who exported which claim document of a class, and whether unmasked."""
    await conn.execute(
        """INSERT INTO claim_exports (class_id, document, format, template, unmasked, actor_id,
                                      actor_role, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        class_id, document, fmt, template, unmasked, actor_id, actor_role, at)
