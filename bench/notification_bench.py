"""Notification benchmark: events -> consumer -> ledger -> dispatcher -> provider, per second.

Usage: python -m bench.notification_bench [--sms 5000] [--emails 2000] [--baseline 10000]

In one process against the shared PostgreSQL and RabbitMQ:
- baseline: raw aio-pika publish (persistent, confirms) + consume with manual ack
- sink:     EnrollmentConfirmed events published to the exchange -> the real consumer
            (inbox + ledger row) -> dispatcher (claim, sink provider, record, outcome event
            through the outbox and relay); timed until every SMS sits in the sink
- smtp:     the same for trainees without a phone: email through aiosmtplib to a local aiosmtpd
Each figure is notifications delivered per second; ratios are against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from aiohttp import web
from aiosmtpd.controller import Controller

from bench.backbone import raw_aio_pika
from bench.common import AMQP_URL, Stopwatch, fresh_database, remove_database, report, unique
from services.notification.app import MIGRATIONS, create_app
from services.notification.config import Settings
from services.notification.subscriptions import subscriptions
from shared.auth import generate_keypair
from shared.events import catalog as c
from shared.events.envelope import Envelope
from shared.ids import new_id
from shared.logging import configure_logging
from shared.service import topology_for

PUBLISH_WINDOW = 500


class CountingSmtp:
    """An SMTP handler that only counts messages."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, _server: Any, _session: Any, _envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def events(count: int, *, with_phone: bool) -> list[Envelope]:
    """Distinct trainees (so no rate limit or coalescing applies), one confirmation each."""
    out = []
    for i in range(count):
        trainee = c.Recipient(
            user_id=new_id(), name="张三", phone=f"+86138{i:08d}" if with_phone else None,
            email=f"trainee{i}@example.com", locale="zh-CN",
        )
        info = c.ClassInfo(
            class_id=new_id(), course_id=new_id(), course_code="YY", course_title_zh="育婴员",
            course_title_en="Childcare", starts_on=_day(9), ends_on=_day(13), venue="职工中心",
        )
        event = c.EnrollmentConfirmed(enrollment_id=new_id(), seq=1, trainee=trainee,
                                      class_info=info)
        out.append(Envelope.wrap(event, producer="bench", correlation_id=str(new_id())))
    return out


def _day(n: int) -> Any:
    from datetime import date

    return date(2030, 3, n)


async def run_service(
    count: int, *, key_file: Path, email: bool, smtp_port: int,
    delivered: Callable[[asyncpg.Connection], Any],
) -> float:
    """Start the service, publish `count` events, return notifications delivered per second."""
    dsn = await fresh_database("bench_notify", [MIGRATIONS])
    namespace = unique("bench-notify").replace("_", "-")
    settings = Settings(
        database_url=dsn, amqp_url=AMQP_URL, namespace=namespace, jwt_public_key_file=key_file,
        sms_providers=("sink",), email_provider="smtp" if email else "sink", smtp_port=smtp_port,
        prefetch=256, db_pool_max=20, dispatch_batch=500, dispatch_concurrency=200,
        dispatch_poll_s=0.2, log_level="WARNING", shutdown_grace_s=5, smtp_pool_size=16,
    )
    connection = await aio_pika.connect(AMQP_URL)
    runner: web.AppRunner | None = None
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            settings.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        # The enrollment service would consume the outcome events; stand in for it.
        outcomes = await channel.declare_queue(
            f"{namespace}.outcomes", arguments={"x-max-length": 1000}
        )
        await outcomes.bind(exchange, routing_key="notification.#")
        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        from shared.messaging.rabbit import RabbitTransport

        declarer = RabbitTransport(AMQP_URL, exchange=settings.exchange_name)
        await declarer.connect()
        await declarer.declare(topology_for(settings, subscriptions))
        await declarer.close()
        envelopes = events(count, with_phone=not email)
        pool = await asyncpg.connect(dsn)
        with Stopwatch() as watch:
            for start in range(0, count, PUBLISH_WINDOW):
                await asyncio.gather(*(
                    exchange.publish(
                        aio_pika.Message(
                            e.model_dump_json().encode(), message_id=str(e.message_id),
                            type=e.routing_key, headers=dict(e.headers()),
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=e.routing_key,
                    )
                    for e in envelopes[start:start + PUBLISH_WINDOW]
                ))
            deadline = time.monotonic() + 600
            while await delivered(pool) < count:
                if time.monotonic() > deadline:
                    raise TimeoutError("not every notification was delivered in time")
                await asyncio.sleep(0.05)
        await pool.close()
        return count / watch.elapsed
    finally:
        if runner is not None:
            await runner.cleanup()
        async with connection:
            ch = await connection.channel()
            for name in [*topology_for(settings, subscriptions).all_queues,
                         f"{namespace}.outcomes"]:
                with contextlib.suppress(Exception):
                    await ch.queue_delete(name)
            await ch.exchange_delete(settings.exchange_name)
        await remove_database(dsn)


def key_file() -> Path:
    """Write a throwaway JWT public key (the service wants one; nobody signs in here)."""
    key_dir = Path("var/bench")
    key_dir.mkdir(parents=True, exist_ok=True)
    path = key_dir / "notification-bench.pub.pem"
    path.write_bytes(generate_keypair()[1])
    return path


async def main(sms: int, emails: int, baseline: int, key: Path) -> None:
    """Run the three measurements and print the ratios."""
    configure_logging(level="WARNING")
    raw = await raw_aio_pika(baseline)

    async def sunk(conn: asyncpg.Connection) -> int:
        return int(await conn.fetchval("SELECT count(*) FROM sink_messages"))

    sink_rate = await run_service(sms, key_file=key, email=False, smtp_port=0,
                                  delivered=sunk)
    smtp = CountingSmtp()
    port = _free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async def mailed(_conn: asyncpg.Connection) -> int:
            return smtp.count

        smtp_rate = await run_service(emails, key_file=key, email=True, smtp_port=port,
                                      delivered=mailed)
    finally:
        controller.stop()
    report("notification", [
        ("raw aio-pika consume+ack (msg/s)", f"{raw:,.0f}"),
        ("SMS through sink (notifications/s)", f"{sink_rate:,.0f}  ({sink_rate / raw:.2f}x raw)"),
        ("email through SMTP (notifications/s)",
         f"{smtp_rate:,.0f}  ({smtp_rate / raw:.2f}x raw)"),
        ("target", ">= 1,000 SMS/s through the sink on 2 cores"),
    ], {"raw": raw, "sink": sink_rate, "smtp": smtp_rate, "sms": sms, "emails": emails,
        "baseline_messages": baseline})


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sms", type=int, default=5000)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=10000)
    args = parser.parse_args()
    asyncio.run(main(args.sms, args.emails, args.baseline, key_file()))
