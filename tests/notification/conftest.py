"""Fixtures: fake providers on local ports, an SMTP server, and the service on real infra."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aiohttp.test_utils import TestServer

from services.notification.app import create_app
from services.notification.config import Settings
from services.notification.subscriptions import subscriptions
from services.notification.templates.variables import SPECS
from shared.auth import TokenIssuer
from shared.db import create_pool
from shared.messaging.rabbit import RabbitTransport
from shared.service import topology_for
from tests.notification import fakes
from tests.notification.harness import SHANGHAI_DAY, Service
from tests.support.clock import FakeClock
from tests.support.infra import AMQP_URL, create_database, drop_database, service_migrations

StartService = Callable[..., Awaitable[Service]]
TEMPLATES = {spec.event_type: f"SMS_{i:04d}" for i, spec in enumerate(SPECS)}
RECEIPT_TOKEN = "receipt-token-for-tests"


@pytest.fixture
async def aliyun(aiohttp_server: Any) -> fakes.FakeSms:
    """A local Aliyun SendSms endpoint."""
    fake = fakes.FakeSms()
    server: TestServer = await aiohttp_server(fakes.aliyun_app(fake))
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
async def tencent(aiohttp_server: Any) -> fakes.FakeSms:
    """A local Tencent Cloud SendSms endpoint."""
    fake = fakes.FakeSms()
    server: TestServer = await aiohttp_server(fakes.tencent_app(fake))
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
def smtp() -> Iterator[tuple[fakes.SmtpCapture, int]]:
    """A real SMTP server (aiosmtpd) on a free port."""
    capture = fakes.SmtpCapture()
    controller = fakes.start_smtp(capture)
    yield capture, controller.port
    controller.stop()


def settings_for(pg_dsn: str, namespace: str, key_files: Path, **changes: Any) -> Settings:
    """Settings pointing at the test's own database, exchange and keys; fast timers."""
    values: dict[str, Any] = {
        "database_url": pg_dsn, "namespace": namespace,
        "jwt_public_key_file": key_files / "jwt-signing.pub.pem",
        "dispatch_poll_s": 0.05, "relay_poll_interval_s": 0.1,
        "retry_backoff_s": (0.05, 0.1, 0.2), "max_send_attempts": 3,
        "delay_tiers_ms": (50, 100), "immediate_retries": 1,
        "aliyun_access_key_id": fakes.ALIYUN_KEY_ID,
        "aliyun_access_key_secret": fakes.ALIYUN_SECRET, "aliyun_templates": TEMPLATES,
        "aliyun_sign_name": "匠心培训", "tencent_sign_name": "匠心培训",
        "tencent_secret_id": fakes.TENCENT_ID, "tencent_secret_key": fakes.TENCENT_KEY,
        "tencent_sdk_app_id": "1400000001", "tencent_templates": TEMPLATES,
        "provider_timeout_s": 1.0, "provider_connect_timeout_s": 0.5,
        "public_base_url": "http://notify.test", "receipt_token": RECEIPT_TOKEN,
    }
    values.update(changes)
    return Settings(**values)


@pytest.fixture
async def start_service(
    pg_dsn: str, namespace: str, key_files: Path, issuer: TokenIssuer, aiohttp_client: Any
) -> AsyncIterator[StartService]:
    """Start the notification service (call again for a second instance on the same queue)."""
    transport = RabbitTransport(AMQP_URL, exchange=f"{namespace}.events", connection_name="test")
    await transport.connect()
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    observer = await channel.declare_queue(f"{namespace}.observer", auto_delete=True)
    for key in ("notification.#", "message.faulted.#"):
        await observer.bind(exchange, routing_key=key)
    pool = await create_pool(pg_dsn)

    async def start(clock: FakeClock | None = None, **changes: Any) -> Service:
        settings = settings_for(pg_dsn, namespace, key_files, **changes)
        await transport.declare(topology_for(settings, subscriptions))
        clock = clock or FakeClock(SHANGHAI_DAY, flowing=True)
        app = create_app(settings, clock=clock)
        client = await aiohttp_client(app)
        return Service(client, settings, pool, transport, observer, clock, issuer)

    yield start
    await pool.close()
    await connection.close()
    await transport.close()


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """A new database with the notification service's tables already in place, dropped afterwards
    (the service still runs its migrations at start-up and finds nothing left to do)."""
    dsn = await create_database("jx_noti", [service_migrations("notification")])
    yield dsn
    await drop_database(dsn)
