"""A running notification service against real PostgreSQL and RabbitMQ, driven by events."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
from aiohttp.test_utils import TestClient

from services.notification.config import Settings
from shared.auth import TokenIssuer
from shared.events import catalog as c
from shared.events.envelope import Envelope, Event
from shared.ids import new_id
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.transport import OutgoingMessage
from tests.support.clock import FakeClock
from tests.support.infra import eventually

SHANGHAI_DAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


def recipient(**changes: Any) -> c.Recipient:
    """A trainee with a valid mobile number and an email address."""
    values: dict[str, Any] = {
        "user_id": new_id(), "name": "张三", "phone": "+8613800138000",
        "email": "zhang.san@example.com", "locale": "zh-CN", "timezone": "Asia/Shanghai",
    }
    values.update(changes)
    return c.Recipient(**values)


def class_info(**changes: Any) -> c.ClassInfo:
    """A class starting in a week."""
    values: dict[str, Any] = {
        "class_id": new_id(), "course_id": new_id(), "course_code": "YY-01",
        "course_title_zh": "育婴员", "course_title_en": "Childcare", "starts_on": date(2026, 3, 9),
        "ends_on": date(2026, 3, 13), "first_session_at": datetime(2026, 3, 9, 1, 0, tzinfo=UTC),
        "venue": "市职工服务中心 3楼", "online": False,
    }
    values.update(changes)
    return c.ClassInfo(**values)


def confirmed(**changes: Any) -> c.EnrollmentConfirmed:
    """An EnrollmentConfirmed event."""
    values: dict[str, Any] = {"enrollment_id": new_id(), "seq": 1, "trainee": recipient(),
                              "class_info": class_info()}
    values.update(changes)
    return c.EnrollmentConfirmed(**values)


def otp(
    phone: str = "+8613900139000", code: str = "482913", *, at: datetime = SHANGHAI_DAY
) -> c.OtpRequested:
    """A sign-in code request made at `at`, valid for five minutes."""
    return c.OtpRequested(phone=phone, code=code, expires_at=at + timedelta(minutes=5))


@dataclass
class Service:
    """The app under test plus ways to feed it events and watch what it announces."""

    client: TestClient[Any, Any]
    settings: Settings
    pool: asyncpg.Pool
    transport: RabbitTransport
    observer: aio_pika.abc.AbstractQueue
    clock: FakeClock
    issuer: TokenIssuer
    announced: list[dict[str, Any]] = field(default_factory=list)

    async def publish(
        self, event: Event, *, message_id: UUID | None = None, correlation_id: str | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        """Publish an event as its producer's relay would (in a journey of its own unless told)."""
        envelope = Envelope.wrap(event, producer="test",
                                 correlation_id=correlation_id or str(new_id()),
                                 message_id=message_id, traceparent=traceparent)
        await self.transport.publish(
            OutgoingMessage(body=envelope.model_dump_json().encode(),
                            message_id=str(envelope.message_id), type=envelope.routing_key,
                            headers=envelope.headers()),
            routing_key=envelope.routing_key,
        )
        return envelope

    async def rows(self, source: UUID | None = None) -> list[asyncpg.Record]:
        """Return ledger rows (of one source message), oldest first."""
        return list(await self.pool.fetch(
            "SELECT * FROM notifications WHERE $1::uuid IS NULL OR source_message_id = $1 "
            "ORDER BY created_at, id", source))

    async def until(self, check: Callable[[], Awaitable[bool]], timeout: float = 20) -> None:
        """Wait until `check` holds."""
        await eventually(check, timeout=timeout)

    async def until_status(
        self, source: UUID, *statuses: str, count: int = 1
    ) -> list[asyncpg.Record]:
        """Wait until `count` rows of a source are in one of `statuses`; return all its rows."""
        async def done() -> bool:
            return sum(r["status"] in statuses for r in await self.rows(source)) >= count
        await self.until(done)
        return await self.rows(source)

    async def drain_announced(self) -> list[dict[str, Any]]:
        """Collect events this service published (outcomes and faults) seen so far."""
        while (message := await self.observer.get(no_ack=True, fail=False)) is not None:
            self.announced.append({**json.loads(message.body), "type": message.routing_key})
        return self.announced

    async def announced_types(self, source: UUID | None = None) -> list[str]:
        """Return the routing keys of announced events (about one source message)."""
        events = await self.drain_announced()
        return [e["type"] for e in events
                if source is None or e["data"].get("source_message_id") == str(source)]

    def receipts(self, provider: str) -> str:
        """Return the receipt callback path of a provider, with the configured token."""
        token = self.settings.receipt_token.get_secret_value()
        return f"/api/v1/receipts/{provider}" + (f"?token={token}" if token else "")

    def token(self, role: str = "admin", user_id: UUID | None = None) -> dict[str, str]:
        """Return an Authorization header for a role."""
        jwt = self.issuer.mint(user_id or new_id(), role)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {jwt}"}
