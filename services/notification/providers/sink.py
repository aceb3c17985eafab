"""The sink: keep messages in the database instead of sending them (local runs, tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from services.notification import repository
from services.notification.providers.base import (
    EmailMessage,
    Outcome,
    SendResult,
    SmsMessage,
)

NAME = "sink"


class SinkSms:
    """Store SMS in `sink_messages`; the sign-in code is kept in its own column."""

    name = NAME

    def __init__(self, pool: asyncpg.Pool, *, signature: str, now: Callable[[], datetime]):
        self._pool, self._signature, self._now = pool, signature, now

    async def send(self, message: SmsMessage) -> SendResult:
        """Record the SMS as it would appear on the phone."""
        code = dict(message.params).get("code") if message.event_type.startswith("auth.") else None
        await repository.insert_sink_message(
            self._pool,
            notification_id=message.id,
            channel="sms",
            recipient=message.phone,
            event_type=message.event_type,
            subject=None,
            body=f"【{self._signature}】{message.text}",
            code=code,
            at=self._now(),
        )
        return SendResult(Outcome.DELIVERED, NAME, provider_message_id=message.id.hex)


class SinkEmail:
    """Store emails in `sink_messages` (plain-text part)."""

    name = NAME

    def __init__(self, pool: asyncpg.Pool, *, now: Callable[[], datetime]) -> None:
        self._pool, self._now = pool, now

    async def send(self, message: EmailMessage) -> SendResult:
        """Record the email."""
        await repository.insert_sink_message(
            self._pool,
            notification_id=message.id,
            channel="email",
            recipient=message.to,
            event_type=message.event_type,
            subject=message.subject,
            body=message.text,
            code=None,
            at=self._now(),
        )
        return SendResult(Outcome.DELIVERED, NAME, provider_message_id=message.message_id)
