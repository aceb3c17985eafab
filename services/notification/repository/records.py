"""Writing SQL around the ledger: receipts, preferences and the sink's captured messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.notification.domain.model import Channel, Preferences
from shared.db import Conn


async def load_preferences(conn: Conn, keys: Sequence[str]) -> Preferences | None:
    """Return the preferences stored under the first of `keys` that has any."""
    rows = await conn.fetch(
        "SELECT pref_key, sms, email, preferred FROM preferences WHERE pref_key = ANY($1)",
        list(keys),
    )
    found = {r["pref_key"]: r for r in rows}
    for key in keys:
        if (r := found.get(key)) is not None:
            return Preferences(sms=r["sms"], email=r["email"], preferred=Channel(r["preferred"]))
    return None


async def save_preferences(
    conn: Conn, key: str, prefs: Preferences, *, user_id: UUID | None, now: datetime
) -> None:
    """Insert or replace one person's preferences."""
    await conn.execute(
        """INSERT INTO preferences (pref_key, user_id, sms, email, preferred, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (pref_key) DO UPDATE SET sms = excluded.sms, email = excluded.email,
               preferred = excluded.preferred, updated_at = excluded.updated_at""",
        key, user_id, prefs.sms, prefs.email, prefs.preferred.value, now,
    )


async def insert_receipt(
    conn: Conn, *, provider: str, key: str, notification_id: UUID | None,
    delivered: bool, code: str, now: datetime, payload: dict[str, Any],
) -> bool:
    """Remember a receipt; False when the same report came before."""
    return (
        await conn.fetchval(
            """INSERT INTO receipts (provider, receipt_key, notification_id, delivered, code,
                   received_at, payload)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1""",
            provider, key, notification_id, delivered, code, now, payload,
        )
        is not None
    )


async def insert_sink_messages(pool: asyncpg.Pool, messages: Sequence[SinkRecord]) -> None:
    """Keep messages the sink provider "sent" (a resend of the same id is ignored)."""
    await pool.execute(
        """INSERT INTO sink_messages (notification_id, channel, recipient, event_type, subject,
               body, code, created_at)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::text[], $8::timestamptz[])
           ON CONFLICT (notification_id) DO NOTHING""",
        [m.notification_id for m in messages], [m.channel for m in messages],
        [m.recipient for m in messages], [m.event_type for m in messages],
        [m.subject for m in messages], [m.body for m in messages], [m.code for m in messages],
        [m.at for m in messages],
    )


@dataclass(frozen=True, slots=True)
class SinkRecord:
    """One message as the sink keeps it."""

    notification_id: UUID
    channel: str
    recipient: str
    event_type: str
    subject: str | None
    body: str
    code: str | None
    at: datetime
