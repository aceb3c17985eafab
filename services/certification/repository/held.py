"""Skill certificates trainees hold from elsewhere and record here."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from shared.db import Conn


async def insert_held(
    conn: Conn, *, held_id: UUID, holder: UUID, number: str, number_format: str,
    occupation: str, level: int | None, issued_on: date | None, issuer: str | None,
    now: datetime,
) -> bool:
    """Record a held certificate; False when the holder recorded this number before."""
    inserted = await conn.fetchval(
        """INSERT INTO held_certificates (id, holder_user_id, number, format, occupation, level,
                                          issued_on, issuer, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (holder_user_id, number) DO NOTHING RETURNING id""",
        held_id, holder, number, number_format, occupation, level, issued_on, issuer, now)
    return inserted is not None
