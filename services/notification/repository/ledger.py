"""Writing SQL of the ledger: claim, schedule, settle and reconcile notification rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from services.notification.domain.model import (
    NOTHING_RECENT,
    Attempt,
    Channel,
    Contact,
    Decision,
    LedgerRow,
    Preferences,
    RecentSends,
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


async def begin_intake(
    conn: Conn, *, aggregate_id: str, seq: int | None, changes_state: bool, by: UUID,
    now: datetime, pref_keys: Sequence[str], lock_address: str | None,
) -> tuple[int | None, Preferences | None]:
    """Open an event's intake in one round trip; return (newest state seq known, preferences).

    With a `seq` of an event that `changes_state`: remember the newest state of the aggregate
    and cancel pending messages about older seqs (a returned seq above `seq` means this event
    is already stale). An informational event only reads the newest state (locking it against a
    state event being taken in at the same time) and touches nothing. Then, after that row,
    take the rate-limit lock of `lock_address` (as `lock_recipient`). The preferences are those
    stored under the first of `pref_keys` that has any. The statements that read the ledger
    under the lock come after this one, so they see what the lock waited for.
    """
    r = await conn.fetchrow(
        """WITH bumped AS (
               INSERT INTO aggregate_versions (aggregate_id, seq)
               SELECT $1, $2::integer WHERE $2::integer IS NOT NULL AND $7::boolean
               ON CONFLICT (aggregate_id) DO UPDATE
                   SET seq = greatest(aggregate_versions.seq, excluded.seq)
               RETURNING seq),
           known AS (
               SELECT seq FROM aggregate_versions
               WHERE aggregate_id = $1 AND $2::integer IS NOT NULL AND NOT $7::boolean
               FOR SHARE),
           newest AS (SELECT seq FROM bumped UNION ALL SELECT seq FROM known),
           superseded AS (
               UPDATE notifications SET status = 'superseded', error_code = 'superseded',
                   related_id = $3, updated_at = $4
               WHERE $7::boolean AND aggregate_id = $1 AND seq < $2::integer
                 AND status IN ('queued', 'deferred')
                 AND (SELECT seq FROM bumped) <= $2::integer
               RETURNING 1),
           locked AS (
               SELECT pg_advisory_xact_lock(hashtext($6::text))
               WHERE $6::text IS NOT NULL AND (SELECT count(*) FROM newest) >= 0)
           SELECT (SELECT seq FROM newest) AS newest, (SELECT count(*) FROM locked) AS locked,
                  p.sms, p.email, p.preferred
           FROM (SELECT 1) AS one
           LEFT JOIN LATERAL (
               SELECT sms, email, preferred FROM preferences WHERE pref_key = ANY($5::text[])
               ORDER BY array_position($5::text[], pref_key) LIMIT 1) AS p ON true""",
        aggregate_id, seq, by, now, list(pref_keys), lock_address, changes_state,
    )
    assert r is not None
    prefs = (
        Preferences(sms=r["sms"], email=r["email"], preferred=Channel(r["preferred"]))
        if r["preferred"] is not None else None
    )
    return r["newest"], prefs


async def lock_recipient(conn: Conn, address: str) -> None:
    """Serialise rate-limit decisions for one address until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", address)


# This template's SMS to a number (sent or due) and a recent twin text, for the rate limits.
_RECENT = """WITH p AS (SELECT {now}::timestamptz AS now, {day_start}::timestamptz AS day_start)
    SELECT
      (SELECT id FROM notifications, p WHERE recipient = {phone} AND channel = 'sms'
         AND content_hash = {content_hash}
         AND created_at > p.now - make_interval(secs => {window_s}::int)
         AND status NOT IN ('failed', 'superseded', 'coalesced', 'suppressed')
       ORDER BY created_at DESC LIMIT 1) AS twin,
      count(*) FILTER (WHERE created_at >= p.day_start) AS template_today,
      count(*) FILTER (WHERE created_at > p.now - interval '1 minute') AS last_minute,
      count(*) FILTER (WHERE created_at > p.now - interval '1 hour') AS last_hour,
      count(*) FILTER (WHERE created_at >= p.day_start) AS today,
      max(created_at) AS last_at
    FROM notifications, p
    WHERE recipient = {phone} AND channel = 'sms' AND source_type = {event_type}
      AND created_at >= least(p.day_start, p.now - interval '1 hour')
      AND status NOT IN ('failed', 'superseded', 'coalesced', 'suppressed')"""

_INSERT_INTO = f"""INSERT INTO notifications ({_COLUMNS}, chars, segments, content_hash,
    error_code, related_id, updated_at, failed_at)"""
_INSERT_VALUES = """$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
    $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33,
    $34, $26, CASE WHEN $14::text = 'failed' THEN $26::timestamptz END"""
_ON_CONFLICT = "ON CONFLICT (source_message_id, recipient, channel) DO NOTHING RETURNING 1"


def _recent_sends(r: asyncpg.Record) -> RecentSends:
    return RecentSends(
        same_content_id=r["twin"], same_template_today=r["template_today"],
        last_minute=r["last_minute"], last_hour=r["last_hour"], today=r["today"],
        last_sent_at=r["last_at"],
    )


def _insert_args(
    row: LedgerRow, chars: int | None, segments: int | None, content_hash: str,
    error_code: str | None, related_id: UUID | None,
) -> tuple[object, ...]:
    return (
        row.id, row.source_message_id, row.source_type, row.aggregate_id, row.seq,
        row.channel.value, row.recipient, row.recipient_masked, row.recipient_user_id,
        row.pref_key, row.locale, row.timezone, row.critical, row.status.value, row.not_before,
        row.attempts, row.provider, row.provider_message_id, row.subject, row.body,
        [list(p) for p in row.params], row.variables,
        [{"channel": c.channel.value, "address": c.address} for c in row.fallbacks],
        row.fallback_of, row.unsubscribe_token, row.created_at, row.correlation_id,
        row.traceparent, row.expires_at, chars, segments, content_hash, error_code, related_id,
    )


async def insert_notification(
    conn: Conn, row: LedgerRow, *, chars: int | None = None,
    segments: int | None = None, content_hash: str, error_code: str | None = None,
    related_id: UUID | None = None,
) -> bool:
    """Claim the (source, recipient, channel) key; False when it was already claimed."""
    inserted = await conn.fetchval(
        f"{_INSERT_INTO} VALUES ({_INSERT_VALUES}) {_ON_CONFLICT}",
        *_insert_args(row, chars, segments, content_hash, error_code, related_id),
    )
    return inserted is not None


_INSERT_UNLESS_RECENT = f"""WITH recent AS ({_RECENT.format(
        phone="$7", event_type="$3", content_hash="$32", now="$26", day_start="$35",
        window_s="$36")}),
    inserted AS (
        {_INSERT_INTO} SELECT {_INSERT_VALUES} FROM recent
        WHERE twin IS NULL AND template_today = 0 AND last_minute = 0 AND last_hour = 0
          AND today = 0 AND last_at IS NULL
        {_ON_CONFLICT})
    SELECT recent.*, (SELECT count(*) FROM inserted) AS inserted FROM recent"""


async def insert_sms_unless_recent(
    conn: Conn, row: LedgerRow, *, chars: int | None, segments: int | None, content_hash: str,
    error_code: str | None, related_id: UUID | None, day_start: datetime, window_s: int,
) -> RecentSends | None:
    """Insert an SMS row scheduled as if nothing was sent recently, in one round trip, when
    that is so (None: inserted, or its key was already claimed); otherwise insert nothing and
    return what the ledger shows (this template's SMS to the number, sent or due, and a twin
    text within `window_s`) to schedule the row with. Hold `lock_recipient` first."""
    r = await conn.fetchrow(
        _INSERT_UNLESS_RECENT,
        *_insert_args(row, chars, segments, content_hash, error_code, related_id),
        day_start, window_s,
    )
    assert r is not None
    recent = _recent_sends(r)
    return None if recent == NOTHING_RECENT else recent


async def claim_due(
    conn: Conn, *, now: datetime, limit: int
) -> tuple[list[LedgerRow], list[LedgerRow]]:
    """Claim a batch of due rows: (to send, now `sending`; overtaken, now `superseded`).

    A row about an older state of its aggregate than the newest one taken in is overtaken: it
    is superseded here instead of sent. Intake supersedes such rows too, but it cannot see a row
    an older event is committing at the same moment; this is the check that always sees it.
    The caller commits before calling any provider.
    """
    records = await conn.fetch(
        f"""WITH due AS (
               SELECT d.id, coalesce(d.seq < v.seq, false) AS overtaken
               FROM notifications d
               LEFT JOIN aggregate_versions v ON v.aggregate_id = d.aggregate_id
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
        now, limit,
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
