"""Notification benchmark: events -> consumer -> ledger -> dispatcher -> provider, per second.

Usage: python -m bench.notification_bench [--sms 5000] [--emails 2000] [--baseline 10000]
                                          [--processes 1,2] [--service-root DIR]

Against the shared PostgreSQL and RabbitMQ:
- baseline: raw aio-pika publish (persistent, confirms) + consume with manual ack, one process
- raw consumer: bench/notification_raw.py in a process of its own, fed the same events: per
            message one INSERT of the SMS row, one outcome published with a confirm, one ack
            (the broker work of one SMS). Run before and after the service runs; its CPU per
            message (/proc, the median of the two) is what the service's CPU per SMS is
            compared with (issue 18 item 4: <= 2x).
- sink:     the service runs as it is deployed (`python -m services.notification`, 1 or more
            instances on one database and queue); this process publishes EnrollmentConfirmed
            events to the exchange as the enrollment service would -> the real consumer
            (inbox + ledger row) -> dispatcher (claim, sink provider, record, outcome event
            through the outbox and relay); timed from the first publish until every SMS sits
            in the sink and every outcome event is published
- smtp:     the same for trainees without a phone: email through aiosmtplib to a local aiosmtpd
Rates are notifications per second (ratios against the baseline); CPU is the service processes'
own per notification, and its ratio to the raw consumer's per message. --service-root DIR runs
the service from another checkout (e.g. `git archive <ref>` unpacked under var/). --profile DIR
records the service processes of the SMS runs with py-spy and prints bench/profile_summary.py's
summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import aio_pika
import asyncpg
from aiosmtpd.controller import Controller

from bench.backbone import raw_aio_pika
from bench.common import (
    AMQP_URL,
    RESULTS_DIR,
    Stopwatch,
    cpu_seconds,
    free_port,
    fresh_database,
    median,
    peak_rss_mb,
    remove_database,
    report,
    unique,
    wait_up,
)
from bench.pipeline_raw import RAW_SINK
from bench.profile_summary import show, start_profilers, stop_profilers
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


REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Rate:
    """Deliveries per second, the CPU time the processes spent per delivery, their peak RSS."""

    per_s: float
    cpu_ms: float
    rss_mb: float

    def show(self, raw: float) -> str:
        """The figure as the report prints it."""
        return (f"{self.per_s:,.0f}  ({self.per_s / raw:.2f}x raw; service CPU "
                f"{self.cpu_ms:.2f} ms each, peak RSS {self.rss_mb:.0f} MB)")


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


def messages_of(envelopes: list[Envelope]) -> list[aio_pika.Message]:
    """Return the events as the enrollment service's relay publishes them."""
    return [
        aio_pika.Message(
            e.model_dump_json().encode(), message_id=str(e.message_id), type=e.routing_key,
            headers=dict(e.headers()), delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        for e in envelopes
    ]


async def publish_all(exchange: aio_pika.abc.AbstractExchange, messages: list[aio_pika.Message],
                      *, routing_key: str | None = None) -> None:
    """Publish with confirms, PUBLISH_WINDOW at a time."""
    for start in range(0, len(messages), PUBLISH_WINDOW):
        await asyncio.gather(*(
            exchange.publish(message, routing_key=routing_key or message.type or "")
            for message in messages[start:start + PUBLISH_WINDOW]
        ))


async def wait_for(count: int, *probes: Callable[[], Any]) -> None:
    """Wait until every probe returns at least `count` (10 minutes at most)."""
    deadline = time.monotonic() + float(os.environ.get("BENCH_WAIT_S", "600"))
    for probe in probes:
        while (reached := await probe()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{reached} of {count} in time ({probe.__name__})")
            await asyncio.sleep(0.05)


async def run_raw(count: int) -> Rate:
    """Feed `count` events to the raw consumer process; measure messages/s and its CPU."""
    dsn = await fresh_database("bench_notify_raw")
    queue, outcomes = unique("bench.notify-raw"), unique("bench.notify-raw-out")
    connection = await aio_pika.connect(AMQP_URL)
    child = None
    try:
        channel = await connection.channel(publisher_confirms=True)
        for name in (queue, outcomes):
            await channel.declare_queue(name, durable=True,
                                        arguments={"x-queue-type": "quorum"})
        conn = await asyncpg.connect(dsn)
        await conn.execute(RAW_SINK)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.notification_raw", dsn, queue, outcomes,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        messages = messages_of(events(count, with_phone=True))

        async def sunk() -> int:
            return int(await conn.fetchval("SELECT count(*) FROM sink_messages"))

        async def announced() -> int:
            declared = await channel.declare_queue(outcomes, passive=True)
            return int(declared.declaration_result.message_count or 0)

        await asyncio.sleep(1.0)  # let it connect and start consuming (its CPU is not counted)
        cpu_before = cpu_seconds(child.pid)
        with Stopwatch() as watch:
            await publish_all(channel.default_exchange, messages, routing_key=queue)
            await wait_for(count, sunk, announced)
        cpu = cpu_seconds(child.pid) - cpu_before
        rss = peak_rss_mb(child.pid)
        await conn.close()
        return Rate(count / watch.elapsed, cpu * 1000 / count, rss)
    finally:
        if child is not None:
            child.terminate()
            await child.wait()
        async with connection:
            ch = await connection.channel()
            for name in (queue, outcomes):
                with contextlib.suppress(Exception):
                    await ch.queue_delete(name)
        await remove_database(dsn)


async def run_service(
    count: int, *, processes: int, key_file: Path, email: bool, smtp_port: int,
    delivered: Callable[[asyncpg.Connection], Any], envelopes: list[Envelope] | None = None,
    extra_env: dict[str, str] | None = None, root: Path = REPO, log_level: str = "INFO",
    profile: Path | None = None,
) -> Rate:
    """Start `processes` service instances (from the checkout at `root`), publish `count` events
    (confirmations unless `envelopes` are given), measure deliveries/s until every outcome event
    is published too."""
    dsn = await fresh_database("bench_notify", [MIGRATIONS])
    namespace = unique("bench-notify").replace("_", "-")
    settings = Settings(database_url=dsn, amqp_url=AMQP_URL, namespace=namespace,
                        jwt_public_key_file=key_file)
    ports = [free_port() for _ in range(processes)]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    logs = [(RESULTS_DIR / f"{namespace}-{n}.log").open("wb") for n in range(processes)]
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.notification",
            env={**service_env(dsn, namespace, port, key_file=key_file, email=email,
                               smtp_port=smtp_port, extra={"LOG_LEVEL": log_level, **(extra_env
                                                                                     or {})}),
                 "PYTHONPATH": str(root)},
            cwd=root, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )
        for port, log in zip(ports, logs, strict=True)
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
        bodies = messages_of(envelopes or events(count, with_phone=not email))
        conn = await asyncpg.connect(dsn)

        async def outcomes_sent() -> int:
            return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'"))

        profilers = (start_profilers(profile, {f"notification-{n}": c.pid
                                               for n, c in enumerate(children, start=1)})
                     if profile else [])
        cpu_before = sum(cpu_seconds(child.pid) for child in children)
        with Stopwatch() as watch:
            await publish_all(exchange, bodies)
            await wait_for(count, lambda: delivered(conn), outcomes_sent)
        cpu = sum(cpu_seconds(child.pid) for child in children) - cpu_before
        await stop_profilers(profilers)
        rss = max(peak_rss_mb(child.pid) for child in children)
        await conn.close()
        return Rate(count / watch.elapsed, cpu * 1000 / count, rss)
    finally:
        for child in children:
            if child.returncode is None:
                child.terminate()
        for child in children:
            await asyncio.wait_for(child.wait(), 60)
        close_and_remove(logs)
        async with connection:
            ch = await connection.channel()
            for name in [*topology_for(settings, subscriptions).all_queues,
                         f"{namespace}.outcomes"]:
                with contextlib.suppress(Exception):
                    await ch.queue_delete(name)
            with contextlib.suppress(Exception):
                await ch.exchange_delete(settings.exchange_name)
        await remove_database(dsn)


def close_and_remove(files: Sequence[BinaryIO]) -> None:
    """Close the services' log files and remove them."""
    for file in files:
        file.close()
        Path(file.name).unlink()


def service_env(
    dsn: str, namespace: str, port: int, *, key_file: Path, email: bool, smtp_port: int,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of one service instance: sink SMS, sink or SMTP email, quiet logs, no
    quiet hours."""
    values = {
        "DATABASE_URL": dsn, "AMQP_URL": AMQP_URL, "NAMESPACE": namespace,
        "HTTP_PORT": str(port), "JWT_PUBLIC_KEY_FILE": str(key_file),
        "SMS_PROVIDERS": '["sink"]', "EMAIL_PROVIDER": "smtp" if email else "sink",
        "SMTP_PORT": str(smtp_port), "SMTP_POOL_SIZE": "16", "PREFETCH": "256",
        "DB_POOL_MAX": "20", "DISPATCH_BATCH": "500", "DISPATCH_CONCURRENCY": "200",
        "DISPATCH_POLL_S": "0.2", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json",
        "SHUTDOWN_GRACE_S": "5", "MIGRATE_ON_START": "false",
        # Every SMS goes out at once whatever the hour of the run.
        "QUIET_START": "00:00", "QUIET_END": "00:00", **(extra or {}),
    }
    return {**os.environ, **{f"JIANGXIN_NOTIFICATION_{k}": v for k, v in values.items()}}


def key_file() -> Path:
    """Write a throwaway JWT public key (the service wants one; nobody signs in here)."""
    key_dir = Path("var/bench").resolve()
    key_dir.mkdir(parents=True, exist_ok=True)
    path = key_dir / "notification-bench.pub.pem"
    path.write_bytes(generate_keypair()[1])
    return path


async def main(args: argparse.Namespace, key: Path) -> None:
    """Run the measurements and print the ratios."""
    configure_logging(level="WARNING")
    raw = await raw_aio_pika(args.baseline)

    async def sunk(conn: asyncpg.Connection) -> int:
        return int(await conn.fetchval("SELECT count(*) FROM sink_messages"))

    raw_consumer = [await run_raw(args.sms)]
    sink_rates = {
        n: await run_service(args.sms, processes=n, key_file=key, email=False, smtp_port=0,
                             delivered=sunk, root=args.service_root, log_level=args.log_level,
                             profile=args.profile / f"sms-{n}" if args.profile else None)
        for n in args.processes
    }
    raw_consumer.append(await run_raw(args.sms))
    raw_cpu = median([r.cpu_ms for r in raw_consumer])
    rows = [("raw aio-pika publish+consume+ack (msg/s)", f"{raw:,.0f}"),
            ("raw consumer: INSERT + outcome + ack", ", ".join(
                f"{r.per_s:,.0f} msg/s, CPU {r.cpu_ms:.2f} ms each" for r in raw_consumer))]
    for n, rate in sink_rates.items():
        rows.append((f"CPU per SMS / raw consumer, {n} process{'es' if n > 1 else ''}",
                     f"{rate.cpu_ms / raw_cpu:.2f}x  ({rate.cpu_ms:.2f} / {raw_cpu:.2f} ms)"))
    rows += [
        (f"SMS through sink, {n} process{'es' if n > 1 else ''} (notifications/s)",
         rate.show(raw))
        for n, rate in sink_rates.items()
    ]
    smtp_rate = await run_smtp(args, key) if args.emails else None
    if smtp_rate is not None:
        rows.append(("email through SMTP, 1 process (notifications/s)", smtp_rate.show(raw)))
    rows += [
        ("service log level", f"{args.log_level} (JSON lines to a file)"),
        ("targets", "CPU per SMS <= 2x the raw consumer's per message (issue 18 item 4)"),
        ("load average 1/5/15 min", "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())),
    ]
    report("notification", rows, {
        "raw": raw, "raw_consumer": [vars(r) for r in raw_consumer],
        "sink": {str(n): vars(r) for n, r in sink_rates.items()},
        "smtp": vars(smtp_rate) if smtp_rate else None,
        "sms": args.sms, "emails": args.emails, "baseline_messages": args.baseline,
        "service_root": str(args.service_root),
    })
    if args.profile:
        for path in sorted(args.profile.glob("sms-*/*.speedscope.json")):
            print("\n".join(show(path, 14)))


async def run_smtp(args: argparse.Namespace, key: Path) -> Rate:
    """Measure email through a local SMTP server that only counts."""
    smtp = CountingSmtp()
    port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async def mailed(_conn: asyncpg.Connection) -> int:
            return smtp.count

        return await run_service(args.emails, processes=1, key_file=key, email=True,
                                 smtp_port=port, delivered=mailed, root=args.service_root,
                                 log_level=args.log_level)
    finally:
        controller.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sms", type=int, default=5000)
    parser.add_argument("--emails", type=int, default=2000, help="0: no email run")
    parser.add_argument("--baseline", type=int, default=10000)
    parser.add_argument("--processes", default=[1, 2],
                        type=lambda text: [int(n) for n in text.split(",")],
                        help="comma-separated instance counts to measure the sink with")
    parser.add_argument("--log-level", default="INFO",
                        help="the service's log level (INFO as deployed; its output goes to a "
                             "file under var/bench/, removed after the run)")
    parser.add_argument("--profile", type=Path,
                        help="directory for py-spy profiles of the SMS runs (figures run slower)")
    parser.add_argument("--service-root", type=Path, default=REPO,
                        help="checkout the service runs from (default: this one)")
    asyncio.run(main(parser.parse_args(), key_file()))
