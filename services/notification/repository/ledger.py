"""Writing SQL of the ledger: claim, schedule, settle and reconcile notification rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from services.notification.domain import superseding
from services.notification.domain.model import (
    Attempt,
    Channel,
    Contact,
    Decision,
    LedgerRow,
    Status,
)
from shared.db import Conn

_COLUMNS = """id, source_message_id, source_type, aggregate_id, seq, channel, recipient,
 recipient_masked, recipient_user_id, pref_key, locale, timezone, critical, status, not_before,
 attempts, provider, provider_message_id, subject, body, params, variables, fallbacks,
 fallback_of, unsubscribe_token, created_at, correlation_id, traceparent, expires_at"""


def to_row(r: asyncpg.Record) -> LedgerRow:
    """Build a ledger row from a database record."""
    return LedgerRow(
        id=r["id"], source_message_id=r["source_message_id"], source_type=r["source_type"],
        aggregate_id=r["aggregate_id"], seq=r["seq"], channel=Channel(r["channel"]),
        recipient=r["recipient"], recipient_masked=r["recipient_masked"],
        recipient_user_id=r["recipient_user_id"], pref_key=r["pref_key"], locale=r["locale"],
        timezone=r["timezone"], critical=r["critical"], status=Status(r["status"]),
        not_before=r["not_before"], attempts=r["attempts"], provider=r["provider"],
        provider_message_id=r["provider_message_id"], subject=r["subject"], body=r["body"],
        params=[(p[0], p[1]) for p in r["params"]], variables=dict(r["variables"]),
        fallbacks=[Contact(Channel(f["channel"]), f["address"]) for f in r["fallbacks"]],
        fallback_of=r["fallback_of"], unsubscribe_token=r["unsubscribe_token"],
        created_at=r["created_at"], correlation_id=r["correlation_id"],
        traceparent=r["traceparent"], expires_at=r["expires_at"],
    )


async def claim_due(
    conn: Conn, *, now: datetime, limit: int
) -> tuple[list[LedgerRow], list[LedgerRow]]:
    """Claim a batch of due rows: (to send, now `sending`; overtaken, now `superseded`).

    A row is overtaken when a newer event of its aggregate that makes it pointless has been
    taken in (domain/superseding.py): it is superseded here instead of sent. Intake supersedes
    such rows too, but not a fallback row the dispatcher adds while an intake runs (it takes no
    aggregate lock); this is the check that sees every row. The caller commits before calling
    any provider.
    """
    records = await conn.fetch(
        f"""WITH due AS (
               SELECT d.id, EXISTS (
                   SELECT 1 FROM unnest($3::text[], $4::text[]) AS r(pending, newer)
                   JOIN aggregate_news a ON a.event_type = r.newer
                   WHERE r.pending = d.source_type AND a.aggregate_id = d.aggregate_id
                     AND a.seq > d.seq) AS overtaken
               FROM notifications d
               WHERE d.status IN ('queued', 'deferred') AND d.not_before <= $1
               ORDER BY d.not_before LIMIT $2 FOR UPDATE OF d SKIP LOCKED)
            UPDATE notifications n
            SET status = CASE WHEN due.overtaken THEN 'superseded' ELSE 'sending' END,
                attempts = n.attempts + CASE WHEN due.overtaken THEN 0 ELSE 1 END,
                error_code = CASE WHEN due.overtaken THEN 'superseded' ELSE n.error_code END,
                updated_at = $1
            FROM due
            WHERE n.id = due.id
            RETURNING due.overtaken, {", ".join("n." + c.strip() for c in _COLUMNS.split(","))}""",
        now, limit, *superseding.pairs(),
    )
    claimed = [to_row(r) for r in records if not r["overtaken"]]
    return claimed, [to_row(r) for r in records if r["overtaken"]]


async def apply_decisions(
    conn: Conn, decisions: Sequence[Decision], *, now: datetime
) -> set[UUID]:
    """Record each claimed row's outcome (only rows still `sending`); return those updated."""
    if not decisions:
        return set()
    records = await conn.fetch(
        """UPDATE notifications n SET status = d.status, not_before = d.not_before,
               provider = coalesce(d.provider, n.provider),
               provider_message_id = coalesce(d.provider_message_id, n.provider_message_id),
               error_code = d.error_code, last_error = d.last_error, updated_at = $8,
               submitted_at = CASE WHEN d.status IN ('submitted', 'delivered', 'unknown')
                                   THEN $8 ELSE n.submitted_at END,
               delivered_at = CASE WHEN d.status = 'delivered' THEN $8 ELSE n.delivered_at END,
               failed_at = CASE WHEN d.status = 'failed' THEN $8 ELSE n.failed_at END
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                       $6::text[], $7::text[])
                AS d(id, status, not_before, provider, provider_message_id, error_code, last_error)
           WHERE n.id = d.id AND n.status = 'sending'
           RETURNING n.id""",
        [d.row.id for d in decisions], [d.status.value for d in decisions],
        [d.not_before for d in decisions], [d.provider for d in decisions],
        [d.provider_message_id for d in decisions], [d.error_code for d in decisions],
        [d.last_error for d in decisions], now,
    )
    return {r["id"] for r in records}


async def insert_attempts(
    conn: Conn, attempts: Iterable[Attempt], *, now: datetime
) -> None:
    """Log provider calls."""
    rows = list(attempts)
    if not rows:
        return
    await conn.execute(
        """INSERT INTO notification_attempts (notification_id, provider, outcome, code, detail, at)
           SELECT a, b, c, d, e, $6
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
                AS x(a, b, c, d, e)""",
        [a.notification_id for a in rows], [a.provider for a in rows],
        [a.outcome for a in rows], [a.code for a in rows], [a.detail[:500] for a in rows], now,
    )


async def get_row(conn: Conn, notification_id: UUID) -> LedgerRow | None:
    """Return one ledger row."""
    r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM notifications WHERE id = $1", notification_id)
    return to_row(r) if r else None


async def find_for_receipt(
    conn: Conn, *, provider: str, out_id: UUID | None,
    provider_message_id: str | None, phone: str | None,
) -> LedgerRow | None:
    """Find the row a receipt is about: our id, else the provider's id, else a lone unknown."""
    if out_id is not None and (row := await get_row(conn, out_id)) is not None:
        return row
    if provider_message_id:
        r = await conn.fetchrow(
            f"""SELECT {_COLUMNS} FROM notifications
                WHERE provider = $1 AND provider_message_id = $2 LIMIT 1""",
            provider, provider_message_id,
        )
        if r is not None:
            return to_row(r)
    if phone:
        # A timed-out call has no provider id yet: a receipt for that number resolves it
        # when it is the only unresolved message to that number through this provider.
        records = await conn.fetch(
            f"""SELECT {_COLUMNS} FROM notifications
                WHERE provider = $1 AND recipient = $2 AND channel = 'sms'
                  AND status IN ('unknown', 'sending') LIMIT 2""",
            provider, phone,
        )
        if len(records) == 1:
            return to_row(records[0])
    return None


async def settle(
    conn: Conn, notification_id: UUID, *, delivered: bool, code: str | None,
    provider: str | None, now: datetime,
) -> bool:
    """Mark a sent (or unknown) row delivered or failed; False if it was already settled."""
    status = await conn.execute(
        """UPDATE notifications
           SET status = $2::text, error_code = $3, updated_at = $5::timestamptz,
               provider = coalesce(provider, $4),
               delivered_at = CASE WHEN $2::text = 'delivered' THEN $5::timestamptz END,
               failed_at = CASE WHEN $2::text = 'failed' THEN $5::timestamptz END
           WHERE id = $1 AND status IN ('sending', 'submitted', 'unknown')""",
        notification_id, "delivered" if delivered else "failed", code, provider, now,
    )
    return status.endswith(" 1")


async def mark_stuck_unknown(conn: Conn, *, before: datetime, now: datetime) -> int:
    """Rows left in `sending` by a crash may have been sent: call them unknown, never resend."""
    status = await conn.execute(
        """UPDATE notifications SET status = 'unknown', error_code = 'interrupted', updated_at = $2
           WHERE status = 'sending' AND updated_at < $1""",
        before, now,
    )
    return int(status.split()[-1])


async def expire_unknown(
    conn: Conn, *, before: datetime, now: datetime
) -> list[LedgerRow]:
    """Give up on unknown rows no receipt resolved (an operator decides); return them."""
    records = await conn.fetch(
        f"""UPDATE notifications SET status = 'failed', error_code = 'unknown_expired',
               failed_at = $2, updated_at = $2
            WHERE status = 'unknown' AND updated_at < $1 RETURNING {_COLUMNS}""",
        before, now,
    )
    return [to_row(r) for r in records]


async def claim_unknown_checks(
    conn: Conn, *, before: datetime, now: datetime, limit: int
) -> list[LedgerRow]:
    """Take unknown rows not asked about since `before` (and mark them asked now)."""
    records = await conn.fetch(
        f"""UPDATE notifications n SET checked_at = $2
            FROM (SELECT id FROM notifications
                  WHERE status = 'unknown' AND updated_at < $1
                    AND (checked_at IS NULL OR checked_at < $1)
                  ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
            WHERE n.id = due.id
            RETURNING {", ".join("n." + c.strip() for c in _COLUMNS.split(","))}""",
        before, now, limit,
    )
    return [to_row(r) for r in records]


async def resolve_unknown(
    conn: Conn, notification_id: UUID, *, status: Status, code: str | None, now: datetime
) -> bool:
    """Move an unknown row to `submitted` (provider has it) or back to `queued` (never taken)."""
    result = await conn.execute(
        """UPDATE notifications SET status = $2, error_code = $3, not_before = $4, updated_at = $4
           WHERE id = $1 AND status = 'unknown'""",
        notification_id, status.value, code, now,
    )
    return result.endswith(" 1")


async def find_by_unsubscribe_token(conn: Conn, token: str) -> LedgerRow | None:
    """Return the email that carried this opt-out token."""
    r = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM notifications WHERE unsubscribe_token = $1", token
    )
    return to_row(r) if r else None
