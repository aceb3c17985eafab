"""Read-side queries of the notification service, returning response models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel


class NotificationItem(BaseModel):
    """One message as an administrator sees it."""

    id: UUID
    event_type: str
    channel: str
    recipient_masked: str
    status: str
    attempts: int
    created_at: datetime
    body: str
    subject: str | None = None
    provider: str | None = None
    error_code: str | None = None
    not_before: datetime | None = None
    segments: int | None = None
    chars: int | None = None


class NotificationList(BaseModel):
    """A page of notifications, newest first."""

    items: list[NotificationItem]


class MyNotification(BaseModel):
    """One message as its recipient sees it."""

    id: UUID
    event_type: str
    channel: str
    recipient_masked: str
    status: str
    created_at: datetime
    subject: str | None = None
    body: str


class MyNotificationList(BaseModel):
    """The signed-in person's messages, newest first."""

    items: list[MyNotification]


class Stats(BaseModel):
    """Today's numbers for the admin dashboard (day in the platform's time zone)."""

    day: date
    sent: int
    delivered: int
    failed: int
    queued: int
    deferred: int
    unknown: int
    suppressed: int


class InboxMessage(BaseModel):
    """A message the sink captured."""

    id: int
    notification_id: UUID
    channel: str
    recipient: str
    event_type: str
    subject: str | None
    body: str
    code: str | None
    created_at: datetime


class Inbox(BaseModel):
    """Captured messages, newest first."""

    items: list[InboxMessage]


async def notifications_for(
    pool: asyncpg.Pool, *, recipient: str | None, status: str | None, limit: int
) -> NotificationList:
    """Return the ledger rows of one address (or all), newest first."""
    rows = await pool.fetch(
        """SELECT id, source_type AS event_type, channel, recipient_masked, status, attempts,
                  created_at, body, subject, provider, error_code, not_before, segments, chars,
                  params
           FROM notifications
           WHERE ($1::text IS NULL OR recipient = $1) AND ($2::text IS NULL OR status = $2)
           ORDER BY created_at DESC, id DESC LIMIT $3""",
        recipient, status, limit,
    )
    return NotificationList(items=[NotificationItem(**_hide_codes(dict(r))) for r in rows])


def _hide_codes(row: dict[str, Any]) -> dict[str, Any]:
    # A sign-in code stays secret even from administrators: it would let them sign in.
    params = row.pop("params")
    if row["event_type"] == "auth.otp_requested":
        for name, value in params:
            if name == "code":
                row["body"] = str(row["body"]).replace(value, "*" * len(value))
    return row


async def notifications_of_user(
    pool: asyncpg.Pool, user_id: UUID, *, limit: int
) -> MyNotificationList:
    """Return the messages sent to one user, newest first."""
    rows = await pool.fetch(
        """SELECT id, source_type AS event_type, channel, recipient_masked, status, created_at,
                  subject, body
           FROM notifications WHERE recipient_user_id = $1
           ORDER BY created_at DESC, id DESC LIMIT $2""",
        user_id, limit,
    )
    return MyNotificationList(items=[MyNotification(**dict(r)) for r in rows])


async def stats(pool: asyncpg.Pool, *, day: date, start: datetime, end: datetime) -> Stats:
    """Count today's rows by outcome."""
    r = await pool.fetchrow(
        """SELECT count(*) FILTER (WHERE status IN ('submitted', 'delivered')) AS sent,
                  count(*) FILTER (WHERE status = 'delivered') AS delivered,
                  count(*) FILTER (WHERE status = 'failed') AS failed,
                  count(*) FILTER (WHERE status IN ('queued', 'sending')) AS queued,
                  count(*) FILTER (WHERE status = 'deferred') AS deferred,
                  count(*) FILTER (WHERE status = 'unknown') AS unknown,
                  count(*) FILTER (WHERE status IN ('suppressed', 'coalesced', 'superseded'))
                      AS suppressed
           FROM notifications WHERE created_at >= $1 AND created_at < $2""",
        start, end,
    )
    assert r is not None
    return Stats(day=day, **dict(r))


async def inbox(
    pool: asyncpg.Pool, *, recipient: str | None, limit: int, contains: str | None = None
) -> Inbox:
    """Return what the sink captured, newest first (for a recipient, or digits in it)."""
    rows = await pool.fetch(
        """SELECT id, notification_id, channel, recipient, event_type, subject, body, code,
                  created_at
           FROM sink_messages WHERE ($1::text IS NULL OR recipient = $1)
             AND ($3::text IS NULL OR strpos(recipient, $3) > 0)
           ORDER BY id DESC LIMIT $2""",
        recipient, limit, contains,
    )
    return Inbox(items=[InboxMessage(**dict(r)) for r in rows])
