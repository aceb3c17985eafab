"""Skill certificates trainees hold from elsewhere and record here."""

from __future__ import annotations

from datetime import datetime

from shared.db import Conn
from shared.events.catalog import HeldCertificateRecorded


async def insert_held(
    conn: Conn, held: HeldCertificateRecorded, *, issuer: str | None, now: datetime
) -> bool:
    """Record a held certificate; False when the holder recorded this number before."""
    inserted = await conn.fetchval(
        """INSERT INTO held_certificates (id, holder_user_id, number, format, occupation,
                                          occupation_code, level, issued_on, issuer, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (holder_user_id, number) DO NOTHING RETURNING id""",
        held.held_id, held.user_id, held.number, held.number_format, held.occupation_name,
        held.occupation_code, held.level, held.issued_on, issuer, now)
    return inserted is not None
