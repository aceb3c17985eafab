"""Projections of other services' events: certificate numbers and reachability."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Report:
    """One delivery outcome of a channel, as a notification event reported it."""

    user_id: UUID
    channel: str
    delivered: bool
    permanent: bool
    reason: str | None
    source_type: str
    occurred_at: datetime
    message_id: UUID

    @property
    def order(self) -> tuple[datetime, UUID]:
        """Return what decides which of two reports of a channel is the later one."""
        return self.occurred_at, self.message_id


_APPLY_REACHABILITY = """
INSERT INTO reachability (user_id, channel, delivered, permanent, reason, source_type,
                          occurred_at, message_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bool[], $4::bool[], $5::text[], $6::text[],
                     $7::timestamptz[], $8::uuid[])
ON CONFLICT (user_id, channel) DO UPDATE SET
    delivered = EXCLUDED.delivered, permanent = EXCLUDED.permanent,
    reason = EXCLUDED.reason, source_type = EXCLUDED.source_type,
    occurred_at = EXCLUDED.occurred_at, message_id = EXCLUDED.message_id
WHERE (reachability.occurred_at, coalesce(reachability.message_id, $9))
      < (EXCLUDED.occurred_at, EXCLUDED.message_id)
"""


async def apply_reachability(conn: Conn, reports: Sequence[Report]) -> None:
    """Record the latest delivery outcome of each channel in one statement: the report with the
    largest (occurred_at, message_id) wins, whatever order the reports arrive in."""
    # One statement may not update a row twice: keep each channel's latest report of these
    # (the one applying them one at a time would leave).
    latest: dict[tuple[UUID, str], Report] = {}
    for report in reports:
        kept = latest.get((report.user_id, report.channel))
        if kept is None or kept.order < report.order:
            latest[(report.user_id, report.channel)] = report
    rows = list(latest.values())
    if not rows:
        return
    await conn.execute(
        _APPLY_REACHABILITY, [r.user_id for r in rows], [r.channel for r in rows],
        [r.delivered for r in rows], [r.permanent for r in rows], [r.reason for r in rows],
        [r.source_type for r in rows], [r.occurred_at for r in rows],
        [r.message_id for r in rows], UUID(int=0),
    )
