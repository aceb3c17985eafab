"""What the sink captured, for the dev inbox."""

from __future__ import annotations

import asyncpg

from services.notification.views.models import Inbox, InboxMessage


async def inbox(
    pool: asyncpg.Pool, *, recipient: str | None, limit: int
) -> Inbox:
    """Return what the sink captured, newest first."""
    rows = await pool.fetch(
        """SELECT id, notification_id, channel, recipient, event_type, subject, body, code,
                  created_at
           FROM sink_messages WHERE ($1::text IS NULL OR recipient = $1)
           ORDER BY id DESC LIMIT $2""",
        recipient, limit,
    )
    return Inbox(items=[InboxMessage(**dict(r)) for r in rows])
