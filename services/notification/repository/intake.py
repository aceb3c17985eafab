"""Writing SQL of intake: open an event's intake, take rate-limit locks, insert new rows.

Each statement has a batch twin that does the same for several events at once (a consumer
batch's `prepare`): the same rules in one round trip instead of one per event. The batch twins
need events of distinct aggregates and distinct recipients: a statement does not see its own
writes, so two rows of one recipient must go one after the other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from services.notification.domain import superseding
from services.notification.domain.model import (
    NOTHING_RECENT,
    Channel,
    LedgerRow,
    Preferences,
    RecentSends,
)
from services.notification.repository.ledger import _COLUMNS
from shared.db import Conn


@dataclass(frozen=True, slots=True)
class IntakeKey:
    """What `begin_intake` takes for one event."""

    aggregate_id: str
    seq: int | None
    event_type: str
    by: UUID
    now: datetime
    pref_keys: Sequence[str]
    lock_address: str | None


# The superseding table (domain/superseding.py) as two SQL arrays: message type, newer type.
_RULE = "unnest($%d::text[], $%d::text[]) AS r(pending, newer)"
# Intakes of one aggregate take turns, in a statement of their own before the rest, so that
# the rest sees what the previous turn committed (a statement sees what was committed when it
# began, not what committed while it waited for a lock). Two int4 keys: a key space the
# one-bigint rate-limit locks never meet. Several aggregates are taken in order.
_LOCK_AGGREGATES = """SELECT count(pg_advisory_xact_lock(1, hashtext(a)))
    FROM (SELECT DISTINCT a FROM unnest($1::text[]) AS a ORDER BY a) AS ordered"""


async def lock_aggregates(conn: Conn, aggregate_ids: Sequence[str]) -> None:
    """Wait for this transaction's turn at each aggregate (until the transaction ends)."""
    if aggregate_ids:
        await conn.execute(_LOCK_AGGREGATES, sorted(set(aggregate_ids)))


_BEGIN = f"""WITH recorded AS (
        INSERT INTO aggregate_news (aggregate_id, event_type, seq)
        SELECT $1, $7, $2::integer WHERE $2::integer IS NOT NULL
        ON CONFLICT (aggregate_id, event_type) DO UPDATE
            SET seq = greatest(aggregate_news.seq, excluded.seq)
        RETURNING seq),
    overtaking AS (
        SELECT max(a.seq) AS seq FROM aggregate_news a JOIN {_RULE % (8, 9)}
            ON r.newer = a.event_type AND r.pending = $7
        WHERE a.aggregate_id = $1 AND $2::integer IS NOT NULL),
    superseded AS (
        UPDATE notifications n SET status = 'superseded', error_code = 'superseded',
            related_id = $3, updated_at = $4
        FROM {_RULE % (8, 9)}
        WHERE r.newer = $7 AND n.source_type = r.pending AND n.aggregate_id = $1
          AND n.seq < $2::integer AND n.status IN ('queued', 'deferred')),
    locked AS (
        SELECT pg_advisory_xact_lock(hashtext($6::text))
        WHERE $6::text IS NOT NULL AND (SELECT count(*) FROM recorded) >= 0)
    SELECT (SELECT seq FROM overtaking) AS overtaking, (SELECT count(*) FROM locked) AS locked,
           p.sms, p.email, p.preferred
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (
        SELECT sms, email, preferred FROM preferences WHERE pref_key = ANY($5::text[])
        ORDER BY array_position($5::text[], pref_key) LIMIT 1) AS p ON true"""


async def begin_intake(conn: Conn, key: IntakeKey) -> tuple[int | None, Preferences | None]:
    """Open an event's intake; return (overtaking seq, preferences).

    With a `seq`: wait for the aggregate's turn (`lock_aggregates`), then remember `seq` as the
    newest of its type for the aggregate, supersede pending messages about older seqs that this
    event makes pointless, and return the highest seq known of the types that make this event
    pointless (above `seq`: it is stale). Then take the rate-limit lock of `lock_address` (as
    `lock_recipient`). The preferences are those stored under the first of `pref_keys` that has
    any. The statements that read the ledger under the lock come after this one, so they see
    what the lock waited for.
    """
    if key.seq is not None:
        await lock_aggregates(conn, [key.aggregate_id])
    r = await conn.fetchrow(
        _BEGIN, key.aggregate_id, key.seq, key.by, key.now, list(key.pref_keys),
        key.lock_address, key.event_type, *superseding.pairs(),
    )
    assert r is not None
    return r["overtaking"], _preferences(r)


def _preferences(r: asyncpg.Record) -> Preferences | None:
    if r["preferred"] is None:
        return None
    return Preferences(sms=r["sms"], email=r["email"], preferred=Channel(r["preferred"]))


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


@dataclass(frozen=True, slots=True)
class SmsInsert:
    """What `insert_sms_unless_recent` takes for one row."""

    row: LedgerRow
    chars: int | None
    segments: int | None
    content_hash: str
    error_code: str | None
    related_id: UUID | None
    day_start: datetime


async def insert_sms_unless_recent(
    conn: Conn, sms: SmsInsert, *, window_s: int
) -> RecentSends | None:
    """Insert an SMS row scheduled as if nothing was sent recently, in one round trip, when
    that is so (None: inserted, or its key was already claimed); otherwise insert nothing and
    return what the ledger shows (this template's SMS to the number, sent or due, and a twin
    text within `window_s`) to schedule the row with. Hold `lock_recipient` first."""
    r = await conn.fetchrow(_INSERT_UNLESS_RECENT, *_sms_args(sms), window_s)
    assert r is not None
    recent = _recent_sends(r)
    return None if recent == NOTHING_RECENT else recent


def _sms_args(s: SmsInsert) -> tuple[object, ...]:
    return (
        *_insert_args(s.row, s.chars, s.segments, s.content_hash, s.error_code, s.related_id),
        s.day_start,
    )


_BEGIN_MANY = f"""WITH input AS (
        SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::uuid[],
                             $6::timestamptz[], $7::text[])
            AS i(idx, aggregate_id, seq, event_type, by_id, now, lock_address)),
    recorded AS (
        INSERT INTO aggregate_news AS a (aggregate_id, event_type, seq)
        SELECT aggregate_id, event_type, seq FROM input WHERE seq IS NOT NULL
        ORDER BY aggregate_id, event_type
        ON CONFLICT (aggregate_id, event_type) DO UPDATE SET seq = greatest(a.seq, excluded.seq)
        RETURNING 1),
    overtaking AS (
        SELECT i.idx, max(a.seq) AS seq
        FROM input i JOIN {_RULE % (11, 12)} ON r.pending = i.event_type
        JOIN aggregate_news a ON a.aggregate_id = i.aggregate_id AND a.event_type = r.newer
        WHERE i.seq IS NOT NULL
        GROUP BY i.idx),
    superseded AS (
        UPDATE notifications n SET status = 'superseded', error_code = 'superseded',
            related_id = i.by_id, updated_at = i.now
        FROM input i JOIN {_RULE % (11, 12)} ON r.newer = i.event_type
        WHERE n.source_type = r.pending AND n.aggregate_id = i.aggregate_id AND n.seq < i.seq
          AND n.status IN ('queued', 'deferred')),
    locked AS (
        SELECT pg_advisory_xact_lock(hashtext(a.lock_address))
        FROM (SELECT DISTINCT lock_address FROM input WHERE lock_address IS NOT NULL
              ORDER BY lock_address) AS a
        WHERE (SELECT count(*) FROM recorded) >= 0),
    prefs AS (
        SELECT DISTINCT ON (k.idx) k.idx, p.sms, p.email, p.preferred
        FROM unnest($8::int[], $9::text[], $10::int[]) AS k(idx, pref_key, rank)
        JOIN preferences p USING (pref_key)
        ORDER BY k.idx, k.rank)
    SELECT i.idx, o.seq AS overtaking, (SELECT count(*) FROM locked) AS locked,
           p.sms, p.email, p.preferred
    FROM input i
    LEFT JOIN overtaking o USING (idx)
    LEFT JOIN prefs p USING (idx)"""


async def begin_intake_many(
    conn: Conn, keys: Sequence[IntakeKey]
) -> list[tuple[int | None, Preferences | None]]:
    """Open several events' intake as `begin_intake` each (two round trips for all of them);
    distinct aggregates and lock addresses only. Locks are taken in aggregate, then address
    order."""
    await lock_aggregates(conn, [k.aggregate_id for k in keys if k.seq is not None])
    flat = [(i, key, rank) for i, k in enumerate(keys) for rank, key in enumerate(k.pref_keys)]
    records = await conn.fetch(
        _BEGIN_MANY, list(range(len(keys))), [k.aggregate_id for k in keys],
        [k.seq for k in keys], [k.event_type for k in keys], [k.by for k in keys],
        [k.now for k in keys], [k.lock_address for k in keys],
        [f[0] for f in flat], [f[1] for f in flat], [f[2] for f in flat],
        *superseding.pairs(),
    )
    out: list[tuple[int | None, Preferences | None]] = [(None, None)] * len(keys)
    for r in records:
        out[r["idx"]] = (r["overtaking"], _preferences(r))
    return out


# The parameters of `_sms_args` in order, each a column of `_INSERT_MANY`'s arrays.
_ARRAYS = {
    "id": "uuid", "source_message_id": "uuid", "source_type": "text", "aggregate_id": "text",
    "seq": "int", "channel": "text", "recipient": "text", "recipient_masked": "text",
    "recipient_user_id": "uuid", "pref_key": "text", "locale": "text", "timezone": "text",
    "critical": "boolean", "status": "text", "not_before": "timestamptz", "attempts": "int",
    "provider": "text", "provider_message_id": "text", "subject": "text", "body": "text",
    "params": "jsonb", "variables": "jsonb", "fallbacks": "jsonb", "fallback_of": "uuid",
    "unsubscribe_token": "text", "created_at": "timestamptz", "correlation_id": "text",
    "traceparent": "text", "expires_at": "timestamptz", "chars": "int", "segments": "int",
    "content_hash": "text", "error_code": "text", "related_id": "uuid",
    "day_start": "timestamptz",
}
assert list(_ARRAYS)[:29] == [c.strip() for c in _COLUMNS.split(",")]
_NAMES = list(_ARRAYS)
# jsonb goes as text: asyncpg's jsonb[] takes each element as one JSON value, never a list.
_JSONB = frozenset(n for n, (_, t) in enumerate(_ARRAYS.items()) if t == "jsonb")

_INSERT_MANY = f"""WITH i AS (
        SELECT * FROM unnest({", ".join(
            f"${n}::{'text' if t == 'jsonb' else t}[]" for n, t in enumerate(_ARRAYS.values(), 1)
        )})
            AS i({", ".join(_NAMES)})),
    recent AS (
        SELECT i.id AS row_id, r.* FROM i CROSS JOIN LATERAL ({_RECENT.format(
            phone="i.recipient", event_type="i.source_type", content_hash="i.content_hash",
            now="i.created_at", day_start="i.day_start", window_s=f"${len(_ARRAYS) + 1}")})
            AS r),
    inserted AS (
        {_INSERT_INTO}
        SELECT {", ".join(
            f"i.{n}::jsonb" if t == "jsonb" else f"i.{n}" for n, t in list(_ARRAYS.items())[:-1]
        )}, i.created_at,
               CASE WHEN i.status = 'failed' THEN i.created_at END
        FROM i JOIN recent ON recent.row_id = i.id
        WHERE twin IS NULL AND template_today = 0 AND last_minute = 0 AND last_hour = 0
          AND today = 0 AND last_at IS NULL
        {_ON_CONFLICT})
    SELECT recent.*, (SELECT count(*) FROM inserted) AS inserted FROM recent"""


async def insert_sms_unless_recent_many(
    conn: Conn, rows: Sequence[SmsInsert], *, window_s: int
) -> list[RecentSends | None]:
    """Do `insert_sms_unless_recent` for several rows in one round trip, one result per row;
    distinct recipients only, each locked by `begin_intake_many` first."""
    args = [_sms_args(s) for s in rows]
    columns = [
        [json.dumps(v) for v in column] if n in _JSONB else list(column)
        for n, column in enumerate(zip(*args, strict=True))
    ]
    records = await conn.fetch(_INSERT_MANY, *columns, window_s)
    by_id = {r["row_id"]: _recent_sends(r) for r in records}
    return [None if (recent := by_id[s.row.id]) == NOTHING_RECENT else recent for s in rows]
