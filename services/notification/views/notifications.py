"""What administrators and recipients read of the ledger: messages and today's numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from services.notification.domain.rules import zone
from services.notification.repository.codes import mask_code
from services.notification.views.models import (
    MyNotification,
    MyNotificationList,
    NotificationItem,
    NotificationList,
    Stats,
)


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
    # A code in a message stays secret even from administrators: a sign-in code would let
    # them sign in as the person, a survey code answer as them.
    params = row.pop("params")
    code = next((value for name, value in params if name == "code"), None)
    row["body"] = mask_code(str(row["body"]), code)
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


async def stats_of_today(pool: asyncpg.Pool, *, now: datetime, timezone: str) -> Stats:
    """Count the rows of today (a day in the platform's time zone) by outcome."""
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    start = datetime.combine(today, time(0), tzinfo=tz).astimezone(UTC)
    return await stats(pool, day=today, start=start, end=start + timedelta(days=1))
