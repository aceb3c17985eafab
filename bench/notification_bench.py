"""Notification benchmark: events -> consumer -> ledger -> dispatcher -> provider, per second.

Usage: python -m bench.notification_bench [--sms 5000] [--emails 2000] [--baseline 10000]
                                          [--processes 1,2]

Against the shared PostgreSQL and RabbitMQ:
- baseline: raw aio-pika publish (persistent, confirms) + consume with manual ack, one process
- sink:     the service runs as it is deployed (`python -m services.notification`, 1 or more
            instances on one database and queue); this process publishes EnrollmentConfirmed
            events to the exchange as the enrollment service would -> the real consumer
            (inbox + ledger row) -> dispatcher (claim, sink provider, record, outcome event
            through the outbox and relay); timed from the first publish until every SMS sits
            in the sink
- smtp:     the same for trainees without a phone: email through aiosmtplib to a local aiosmtpd
Each figure is notifications delivered per second; ratios are against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from aiosmtpd.controller import Controller

from bench.backbone import raw_aio_pika
from bench.common import (
    AMQP_URL,
    Stopwatch,
    cpu_seconds,
    free_port,
    fresh_database,
    remove_database,
    report,
    unique,
    wait_up,
)
from services.notification.app import MIGRATIONS
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


@dataclass(frozen=True)
class Rate:
    """Deliveries per second, and the CPU time the service processes spent per delivery."""

    per_s: float
    cpu_ms: float

    def show(self, raw: float) -> str:
        """The figure as the report prints it."""
        return (f"{self.per_s:,.0f}  ({self.per_s / raw:.2f}x raw; service CPU "
                f"{self.cpu_ms:.2f} ms each)")


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
    count: int, *, processes: int, key_file: Path, email: bool, smtp_port: int,
    delivered: Callable[[asyncpg.Connection], Any], envelopes: list[Envelope] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Rate:
    """Start `processes` service instances, publish `count` events (confirmations unless
    `envelopes` are given), measure deliveries/s."""
    dsn = await fresh_database("bench_notify", [MIGRATIONS])
    namespace = unique("bench-notify").replace("_", "-")
    settings = Settings(database_url=dsn, amqp_url=AMQP_URL, namespace=namespace,
                        jwt_public_key_file=key_file)
    ports = [free_port() for _ in range(processes)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.notification",
            env=service_env(dsn, namespace, port, key_file=key_file, email=email,
                            smtp_port=smtp_port, extra=extra_env),
        )
        for port in ports
    ]
    connection = await aio_pika.connect(AMQP_URL)
    try:
        for port in ports:
            await wait_up(f"http://127.0.0.1:{port}/readyz")
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(settings.exchange_name)
        # The enrollment service would consume the outcome events; stand in for it.
        outcomes = await channel.declare_queue(
            f"{namespace}.outcomes", arguments={"x-max-length": 1000}
        )
        await outcomes.bind(exchange, routing_key="notification.#")
        bodies = [
            aio_pika.Message(
                e.model_dump_json().encode(), message_id=str(e.message_id), type=e.routing_key,
                headers=dict(e.headers()), delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            for e in envelopes or events(count, with_phone=not email)
        ]
        conn = await asyncpg.connect(dsn)
        cpu_before = sum(cpu_seconds(child.pid) for child in children)
        with Stopwatch() as watch:
            for start in range(0, count, PUBLISH_WINDOW):
                await asyncio.gather(*(
                    exchange.publish(message, routing_key=message.type or "")
                    for message in bodies[start:start + PUBLISH_WINDOW]
                ))
            deadline = time.monotonic() + 600
            while await delivered(conn) < count:
                if time.monotonic() > deadline:
                    raise TimeoutError("not every notification was delivered in time")
                await asyncio.sleep(0.05)
        cpu = sum(cpu_seconds(child.pid) for child in children) - cpu_before
        await conn.close()
        return Rate(count / watch.elapsed, cpu * 1000 / count)
    finally:
        for child in children:
            if child.returncode is None:
                child.terminate()
        for child in children:
            await asyncio.wait_for(child.wait(), 60)
        async with connection:
            ch = await connection.channel()
            for name in [*topology_for(settings, subscriptions).all_queues,
                         f"{namespace}.outcomes"]:
                with contextlib.suppress(Exception):
                    await ch.queue_delete(name)
            with contextlib.suppress(Exception):
                await ch.exchange_delete(settings.exchange_name)
        await remove_database(dsn)


def service_env(
    dsn: str, namespace: str, port: int, *, key_file: Path, email: bool, smtp_port: int,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of one service instance: sink SMS, sink or SMTP email, quiet logs."""
    values = {
        "DATABASE_URL": dsn, "AMQP_URL": AMQP_URL, "NAMESPACE": namespace,
        "HTTP_PORT": str(port), "JWT_PUBLIC_KEY_FILE": str(key_file),
        "SMS_PROVIDERS": '["sink"]', "EMAIL_PROVIDER": "smtp" if email else "sink",
        "SMTP_PORT": str(smtp_port), "SMTP_POOL_SIZE": "16", "PREFETCH": "256",
        "DB_POOL_MAX": "20", "DISPATCH_BATCH": "500", "DISPATCH_CONCURRENCY": "200",
        "DISPATCH_POLL_S": "0.2", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json",
        "SHUTDOWN_GRACE_S": "5", "MIGRATE_ON_START": "false", **(extra or {}),
    }
    return {**os.environ, **{f"JIANGXIN_NOTIFICATION_{k}": v for k, v in values.items()}}


def key_file() -> Path:
    """Write a throwaway JWT public key (the service wants one; nobody signs in here)."""
    key_dir = Path("var/bench")
    key_dir.mkdir(parents=True, exist_ok=True)
    path = key_dir / "notification-bench.pub.pem"
    path.write_bytes(generate_keypair()[1])
    return path


async def main(sms: int, emails: int, baseline: int, processes: list[int], key: Path) -> None:
    """Run the measurements and print the ratios."""
    configure_logging(level="WARNING")
    raw = await raw_aio_pika(baseline)

    async def sunk(conn: asyncpg.Connection) -> int:
        return int(await conn.fetchval("SELECT count(*) FROM sink_messages"))

    sink_rates = {
        n: await run_service(sms, processes=n, key_file=key, email=False, smtp_port=0,
                             delivered=sunk)
        for n in processes
    }
    smtp = CountingSmtp()
    port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async def mailed(_conn: asyncpg.Connection) -> int:
            return smtp.count

        smtp_rate = await run_service(emails, processes=1, key_file=key, email=True,
                                      smtp_port=port, delivered=mailed)
    finally:
        controller.stop()
    rows = [("raw aio-pika publish+consume+ack (msg/s)", f"{raw:,.0f}")]
    rows += [
        (f"SMS through sink, {n} process{'es' if n > 1 else ''} (notifications/s)",
         rate.show(raw))
        for n, rate in sink_rates.items()
    ]
    rows += [
        ("email through SMTP, 1 process (notifications/s)",
         smtp_rate.show(raw)),
        ("target", ">= 1,000 SMS/s through the sink on 2 cores"),
    ]
    report("notification", rows, {
        "raw": raw, "sink": {str(n): vars(r) for n, r in sink_rates.items()},
        "smtp": vars(smtp_rate),
        "sms": sms, "emails": emails, "baseline_messages": baseline,
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sms", type=int, default=5000)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=10000)
    parser.add_argument("--processes", default="1,2",
                        help="comma-separated instance counts to measure the sink with")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    asyncio.run(main(args.sms, args.emails, args.baseline, counts, key_file()))
