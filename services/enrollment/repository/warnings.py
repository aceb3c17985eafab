"""Early warnings of hours at risk: the classes to watch and the reasons already sent."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from shared.db import Conn


async def classes_in_progress(conn: Conn, *, since: date, today: date) -> list[UUID]:
    """Return the scheduled, unreleased classes running between the dates that use check-ins."""
    rows = await conn.fetch(
        """SELECT c.id FROM classes c
           WHERE c.status = 'scheduled' AND c.results_released_at IS NULL
             AND c.starts_on <= $2 AND c.ends_on >= $1
             AND EXISTS (SELECT 1 FROM checkins k WHERE k.class_id = c.id
                         AND k.checked_in_at IS NOT NULL)""", since, today)
    return [r["id"] for r in rows]


async def claim_warnings(
    conn: Conn, enrollment_id: UUID, reasons: list[str], missed: list[date], now: datetime
) -> list[str]:
    """Record the reasons an enrolment was not yet warned about; return those."""
    rows = await conn.fetch(
        """INSERT INTO hours_warnings (enrollment_id, reason, missed_dates, warned_at)
           SELECT $1, r, $3, $4 FROM unnest($2::text[]) AS r
           ON CONFLICT DO NOTHING RETURNING reason""", enrollment_id, reasons, missed, now)
    return sorted(r["reason"] for r in rows)
