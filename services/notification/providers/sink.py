"""The sink: keep messages in the database instead of sending them (local runs, tests)."""

from __future__ import annotations

import asyncio
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
from services.notification.repository import SinkRecord
from services.notification.repository.codes import mask_code

NAME = "sink"


class SinkWriter:
    """Write captured messages in batches; each send returns once its row is committed."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._pending: list[tuple[SinkRecord, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, record: SinkRecord) -> None:
        """Store one message (joined with whatever else is being stored right now)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="sink-flush")
        await done

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let concurrent sends join the batch
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await repository.insert_sink_messages(self._pool, [r for r, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    done.set_exception(exc)
            else:
                for _, done in batch:
                    done.set_result(None)


class SinkSms:
    """Store SMS in `sink_messages`. A sign-in code is kept (in the text and its own column,
    until it expires: repository/codes.py) only for the dev inbox to show; else it is masked."""

    name = NAME

    def __init__(self, writer: SinkWriter, *, signature: str, now: Callable[[], datetime],
                 keep_codes: bool = False):
        self._writer, self._signature, self._now = writer, signature, now
        self._keep_codes = keep_codes

    async def send(self, message: SmsMessage) -> SendResult:
        """Record the SMS as it would appear on the phone (its code masked unless kept)."""
        code = dict(message.params).get("code") if message.event_type.startswith("auth.") else None
        text = message.text if self._keep_codes else mask_code(message.text, code)
        await self._writer.write(SinkRecord(
            notification_id=message.id, channel="sms", recipient=message.phone,
            event_type=message.event_type, subject=None, body=f"【{self._signature}】{text}",
            code=code if self._keep_codes else None, at=self._now(),
        ))
        return SendResult(Outcome.DELIVERED, NAME, provider_message_id=message.id.hex)


class SinkEmail:
    """Store emails in `sink_messages` (plain-text part)."""

    name = NAME

    def __init__(self, writer: SinkWriter, *, now: Callable[[], datetime]) -> None:
        self._writer, self._now = writer, now

    async def send(self, message: EmailMessage) -> SendResult:
        """Record the email."""
        await self._writer.write(SinkRecord(
            notification_id=message.id, channel="email", recipient=message.to,
            event_type=message.event_type, subject=message.subject, body=message.text,
            code=None, at=self._now(),
        ))
        return SendResult(Outcome.DELIVERED, NAME, provider_message_id=message.message_id)
