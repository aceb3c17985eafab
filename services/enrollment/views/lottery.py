"""Read side of lotteries: one's applications and the public draw document."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.enrollment.repository import Row
from services.enrollment.views.models.fair import ApplicationList, ApplicationOut, DrawEntry
from shared.db import Conn
from shared.masking import mask_name


def application_out(row: Row, *, closes_at: datetime | None = None) -> ApplicationOut:
    """Return an application row as the API shows it."""
    return ApplicationOut(
        id=row["id"], class_id=row["class_id"], status=row["status"], outcome=row["outcome"],
        rank=row["rank"], created_at=row["created_at"],
        course_title_zh=row["course_title_zh"], course_title_en=row["course_title_en"],
        starts_on=row["starts_on"], closes_at=closes_at,
    )


async def trainee_applications(pool: asyncpg.Pool, trainee_id: UUID) -> ApplicationList:
    """Return a trainee's applications with their class, newest first."""
    rows = await pool.fetch(
        """SELECT a.id, a.class_id, a.status, a.outcome, a.rank, a.created_at, c.starts_on,
                  c.enroll_closes_at, co.title_zh AS course_title_zh,
                  co.title_en AS course_title_en
           FROM applications a JOIN classes c ON c.id = a.class_id
           JOIN courses co ON co.id = c.course_id
           WHERE a.trainee_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT 200""",
        trainee_id,
    )
    return ApplicationList(items=[application_out(r, closes_at=r["enroll_closes_at"])
                                  for r in rows])


async def live_count(conn: Conn, class_id: UUID) -> int:
    """Count a lottery's applications in the draw (applied, or drawn)."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        "SELECT count(*) FROM applications WHERE class_id = $1 AND status <> 'withdrawn'",
        class_id,
    )


async def drawn_entries(pool: asyncpg.Pool, class_id: UUID) -> list[DrawEntry]:
    """Return a drawn lottery's entries in rank order, names masked."""
    rows = await pool.fetch(
        """SELECT a.id, a.priority_group, a.rank, a.outcome, u.name
           FROM applications a JOIN users u ON u.id = a.trainee_id
           WHERE a.class_id = $1 AND a.status = 'drawn' ORDER BY a.rank""",
        class_id,
    )
    return [DrawEntry(application_id=r["id"], name_masked=mask_name(r["name"]),
                      group=r["priority_group"], rank=r["rank"], outcome=r["outcome"])
            for r in rows]
