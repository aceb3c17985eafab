"""What the sink captured, for the dev inbox."""

from __future__ import annotations

import asyncpg

from services.notification.views.models import Inbox, InboxMessage


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
