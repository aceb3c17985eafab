"""Projections of other services' events: certificate numbers and reachability."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from shared.db import Conn


async def apply_certificate(
    conn: Conn, *, certificate_id: UUID, enrollment_id: UUID, number: str,
    status: str, reason: str | None, seq: int, issued_on: date, expires_on: date | None,
    replaces: UUID | None, issued_at: datetime | None,
) -> None:
    """Record a certificate's state unless a later change of it is already known; a
    certificate replaced by a reissue stays revoked, whichever of the two arrives first."""
    await conn.execute(
        """INSERT INTO certificates (certificate_id, enrollment_id, number, status, reason, seq,
                                     issued_on, expires_on, replaces, issued_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (certificate_id) DO UPDATE SET
               number = EXCLUDED.number, status = EXCLUDED.status, reason = EXCLUDED.reason,
               seq = EXCLUDED.seq, expires_on = EXCLUDED.expires_on,
               replaces = coalesce(EXCLUDED.replaces, certificates.replaces), updated_at = now()
           WHERE certificates.seq < EXCLUDED.seq""",
        certificate_id, enrollment_id, number, status, reason, seq, issued_on, expires_on,
        replaces, issued_at,
    )
    if issued_at is not None:  # an 'issued' arriving after a later change still dates it
        await conn.execute(
            "UPDATE certificates SET issued_at = $2 "
            "WHERE certificate_id = $1 AND issued_at IS NULL",
            certificate_id, issued_at,
        )
    if replaces is not None:
        await conn.execute(
            "UPDATE certificates SET replaces = $2 WHERE certificate_id = $1 AND replaces IS NULL",
            certificate_id, replaces,
        )
    await conn.execute(
        """UPDATE certificates old SET status = 'revoked', reason = 'reissued as ' || new.number,
                  updated_at = now()
           FROM certificates new
           WHERE new.replaces = old.certificate_id AND old.status <> 'revoked'
             AND $1 IN (old.certificate_id, new.certificate_id)""",
        certificate_id,
    )


async def apply_reachability(
    conn: Conn, *, user_id: UUID, channel: str, delivered: bool, permanent: bool,
    reason: str | None, source_type: str, occurred_at: datetime, message_id: UUID,
) -> None:
    """Record the latest delivery outcome of a channel: the report with the largest
    (occurred_at, message_id) wins, whatever order the reports arrive in."""
    await conn.execute(
        """INSERT INTO reachability (user_id, channel, delivered, permanent, reason, source_type,
                                     occurred_at, message_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (user_id, channel) DO UPDATE SET
               delivered = EXCLUDED.delivered, permanent = EXCLUDED.permanent,
               reason = EXCLUDED.reason, source_type = EXCLUDED.source_type,
               occurred_at = EXCLUDED.occurred_at, message_id = EXCLUDED.message_id
           WHERE (reachability.occurred_at, coalesce(reachability.message_id, $9))
                 < (EXCLUDED.occurred_at, EXCLUDED.message_id)""",
        user_id, channel, delivered, permanent, reason, source_type, occurred_at, message_id,
        UUID(int=0),
    )
