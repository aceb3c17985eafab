"""Read-only queries of the ledger check, one function per question, per service database.

No query selects a phone number, an email address or an ID number: recipients are compared
by a digest and shown masked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from ops.ledger.model import (
    AggregateEvent,
    Certificate,
    EventIdentity,
    HistoryEvent,
    LedgerRow,
    OutboxRow,
    Result,
)

_HISTORY = """
SELECT h.enrollment_id, e.trainee_id, h.seq, h.event_type, h.at
FROM enrollment_history h JOIN enrollments e ON e.id = h.enrollment_id
"""
_RESULTS = """
SELECT id AS enrollment_id, result_version, released_at FROM enrollments
WHERE passed AND released_at IS NOT NULL
"""
# One per enrolment: a replacement awaiting approval stands for the result rather than the
# revoked certificate it will replace (which stays live until the approval).
_CERTIFICATES = """
SELECT DISTINCT ON (enrollment_id)
       id, enrollment_id, holder_user_id, status, seq, issued_at, created_at, result_version
FROM certificates WHERE replaced_by IS NULL
ORDER BY enrollment_id, (replaces IS NOT NULL AND status = 'pending') DESC
"""
# The events of the other aggregates enrollment announces to trainees (a lottery application,
# a feedback survey), as their tables record them: the seqs are those the handlers publish.
_OTHER_EVENTS = """
SELECT id AS aggregate_id, trainee_id, 1 AS seq, 'application.submitted' AS event_type,
       created_at AS at FROM applications
UNION ALL
SELECT a.id, a.trainee_id, 2, 'application.drawn', l.drawn_at
FROM applications a JOIN lotteries l ON l.class_id = a.class_id WHERE a.status = 'drawn'
UNION ALL
SELECT id, trainee_id, 1, 'survey.invited', invited_at FROM surveys
UNION ALL
SELECT id, trainee_id, 2, 'survey.followup_due', followup_sent_at FROM surveys
WHERE followup_sent_at IS NOT NULL
"""
_CERTIFICATE_IDS = "SELECT id FROM certificates"
_LEDGER = """
SELECT n.id, n.source_message_id, n.source_type, n.aggregate_id, n.seq, n.channel,
       md5(n.recipient) AS recipient_key, n.recipient_masked, n.status, n.error_code,
       n.related_id, n.not_before, n.created_at, n.updated_at,
       s.notification_id IS NOT NULL AS in_sink
FROM notifications n LEFT JOIN sink_messages s ON s.notification_id = n.id
WHERE n.source_type <> 'auth.otp_requested'
"""
_OPTED_OUT = """
SELECT user_id FROM preferences WHERE user_id IS NOT NULL AND NOT sms AND NOT email
"""
# Only rows written by this platform's OutboxWriter are here, so every body is JSON.
_UNSENT = """
SELECT message_id, routing_key, aggregate_id, (body::jsonb -> 'data' ->> 'seq')::int AS seq,
       status, created_at
FROM outbox WHERE status <> 'sent'
"""
_IDENTITIES = """
SELECT message_id, routing_key, aggregate_id, (body::jsonb -> 'data' ->> 'seq')::int AS seq
FROM outbox WHERE body::jsonb -> 'data' ? 'seq'
"""
_INBOX = "SELECT consumer, message_id FROM inbox"


@asynccontextmanager
async def read_only(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """Open a connection that cannot write, inside one repeatable-read snapshot."""
    conn = await asyncpg.connect(
        dsn,
        server_settings={
            "default_transaction_read_only": "on",
            "application_name": "jiangxin-ledger-check",
        },
    )
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            yield conn
    finally:
        await conn.close()


async def history(conn: asyncpg.Connection) -> list[HistoryEvent]:
    """Return every event an enrolment's audit trail records."""
    return [HistoryEvent(**r) for r in await conn.fetch(_HISTORY)]


async def other_events(conn: asyncpg.Connection) -> list[AggregateEvent]:
    """Return the lottery-application and survey events enrollment's tables record."""
    return [AggregateEvent(**r) for r in await conn.fetch(_OTHER_EVENTS)]


async def passing_results(conn: asyncpg.Connection) -> list[Result]:
    """Return every released passing result."""
    return [Result(**r) for r in await conn.fetch(_RESULTS)]


async def live_certificates(conn: asyncpg.Connection) -> list[Certificate]:
    """Return every enrolment's live certificate (or the replacement awaiting approval)."""
    return [Certificate(**r) for r in await conn.fetch(_CERTIFICATES)]


async def certificate_ids(conn: asyncpg.Connection) -> set[UUID]:
    """Return the id of every certificate ever issued or pending, replaced ones included."""
    return {r["id"] for r in await conn.fetch(_CERTIFICATE_IDS)}


async def ledger(conn: asyncpg.Connection) -> list[LedgerRow]:
    """Return every notification row except sign-in codes, and whether the sink holds it."""
    return [LedgerRow(**r) for r in await conn.fetch(_LEDGER)]


async def opted_out(conn: asyncpg.Connection) -> set[UUID]:
    """Return the users who accept neither SMS nor email."""
    return {r["user_id"] for r in await conn.fetch(_OPTED_OUT)}


async def unsent_outbox(conn: asyncpg.Connection, service: str) -> list[OutboxRow]:
    """Return the outbox rows not yet published (pending or parked)."""
    return [OutboxRow(service=service, **r) for r in await conn.fetch(_UNSENT)]


async def identities(conn: asyncpg.Connection) -> dict[UUID, EventIdentity]:
    """Return the event each outbox message carries (those with a seq), by message id."""
    return {
        r["message_id"]: EventIdentity(r["routing_key"], r["aggregate_id"], r["seq"])
        for r in await conn.fetch(_IDENTITIES)
    }


async def inbox(conn: asyncpg.Connection) -> list[tuple[str, UUID]]:
    """Return (consumer, message id) of every message processed."""
    return [(r["consumer"], r["message_id"]) for r in await conn.fetch(_INBOX)]
