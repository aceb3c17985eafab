"""Lottery benchmark: draw 10,000 applications and notify every applicant, beside raw baselines
measured in the same run.

Usage: python -m bench.lottery_bench [--applications 10000] [--seats 300] [--processes 1]

Against the shared PostgreSQL and RabbitMQ:
- draw:     the enrollment service's own draw (handlers/draws.draw, in this process): lock,
            eligibility facts of every applicant in one statement, HMAC ranks, 10,000 enrolments
            (offered / waitlisted) with their audit rows, every application's result, 10,000
            `application.drawn` events in the outbox; one transaction.
  baseline: bare asyncpg in one transaction: read the applications, sort them by the same HMAC,
            insert 10,000 rows of the same width into a scratch table and 10,000 outbox rows of
            the same size; no checks, no events built.
- notify:   the 10,000 `application.drawn` envelopes the draw wrote are published to the
            exchange as the relay would; `python -m services.notification` (--processes
            instances, sink SMS, no quiet hours) takes them in and sends every SMS; timed from
            the first publish until the sink holds all of them.
  baseline: raw aio-pika publish (confirms) + consume (ack) of as many messages.
The report gives each figure, its ratio to its baseline, and draw + notify end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg

from bench.backbone import raw_aio_pika
from bench.common import PG_BASE, Stopwatch, remove_database, report, unique
from bench.enrollment_bench import bench_keys, insert_trainees
from bench.notification_bench import key_file, run_service
from services.enrollment.app import command_deps
from services.enrollment.commands import CreateClass, CreateCourse
from services.enrollment.commands_fair import SetAllocation
from services.enrollment.config import Settings
from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor
from services.enrollment.handlers import catalogue, draws
from shared.auth import Principal
from shared.events.envelope import Envelope
from shared.ids import new_id
from shared.logging import configure_logging

_SCRATCH = """
CREATE TEMP TABLE scratch (id uuid, class_id uuid, trainee_id uuid, status text, via text,
    booking_no integer, offer_expires_at timestamptz, seq integer, created_at timestamptz,
    updated_at timestamptz) ON COMMIT DROP
"""


async def lottery_with_applications(deps: Deps, count: int, seats: int) -> str:
    """Create a lottery class and `count` applications (inserted directly: not measured)."""
    admin = Principal(new_id(), "admin")
    course = await catalogue.create_course(CreateCourse(
        code=unique("LOT")[:30], title_zh="互联网营销师（直播销售员）",
        title_en="Livestream sales", category="ecommerce", level=4, required_hours=80),
        deps=deps)
    start = date.today() + timedelta(days=14)
    cls = await catalogue.create_class(CreateClass(
        course_id=course.id, starts_on=start, ends_on=start + timedelta(days=4),
        venue="市工人文化宫", capacity=seats, waitlist_policy="offer",
        enroll_closes_at=datetime.now(UTC) + timedelta(days=3)), deps=deps)
    await draws.set_allocation(cls.id, SetAllocation(), deps=deps, actor=admin)
    trainees = await insert_trainees(deps.pool, count, 50_000_000)
    await deps.pool.execute(
        """INSERT INTO applications (id, class_id, trainee_id, created_at, updated_at)
           SELECT gen_random_uuid(), $1, t, now(), now() FROM unnest($2::uuid[]) AS t""",
        cls.id, trainees)
    return str(cls.id)


async def raw_draw(dsn: str, class_id: str, outbox_body: str) -> float:
    """Return the seconds a bare asyncpg draw of the same size takes."""
    conn = await asyncpg.connect(dsn)
    try:
        seed = b"\x01" * 32
        with Stopwatch() as watch:
            async with conn.transaction():
                rows = await conn.fetch(
                    "SELECT id, trainee_id FROM applications WHERE class_id = $1", UUID(class_id))
                ordered = sorted(rows, key=lambda r: hmac.new(
                    seed, str(r["id"]).encode(), hashlib.sha256).hexdigest())
                await conn.execute(_SCRATCH)
                now = datetime.now(UTC)
                await conn.execute(
                    """INSERT INTO scratch SELECT i, $3, t, 'waitlisted', 'self', n, NULL, 1,
                              $4, $4
                       FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS x(i, t, n)""",
                    [r["id"] for r in ordered], [r["trainee_id"] for r in ordered],
                    ordered[0]["id"], now)
                await conn.execute(
                    """INSERT INTO outbox (message_id, aggregate_id, routing_key, body, headers)
                       SELECT gen_random_uuid(), i::text, 'bench.raw', $2, '{}'
                       FROM unnest($1::uuid[]) AS i""",
                    [r["id"] for r in ordered], outbox_body)
                await conn.execute("DELETE FROM outbox WHERE routing_key = 'bench.raw'")
        return watch.elapsed
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    """Draw, notify, measure both baselines, report."""
    configure_logging(level="WARNING")
    keys = bench_keys()
    dsn = f"{PG_BASE}/{unique('jx_bench_lot')}"
    settings = Settings(
        database_url=dsn, jwt_private_key_file=keys / "jwt-signing.pem",
        jwt_public_key_file=keys / "jwt-signing.pub.pem",
        pii_transport_key_file=keys / "pii-transport.key",
        pii_at_rest_key_file=keys / "pii-at-rest.key")
    try:
        async with command_deps(settings) as deps:
            class_id = await lottery_with_applications(deps, args.applications, args.seats)
            with Stopwatch() as draw_watch:
                out = await draws.draw(UUID(class_id), deps=deps, actor=Actor(new_id(), "admin"),
                                       reason="benchmark: draw before the close")
            bodies = await deps.pool.fetch(
                "SELECT body FROM outbox WHERE routing_key = 'application.drawn.v1'")
        envelopes = [Envelope.model_validate(json.loads(r["body"])) for r in bodies]
        assert len(envelopes) == args.applications == out.applications
        raw_draw_s = await raw_draw(dsn, class_id, bodies[0]["body"])
    finally:
        await remove_database(dsn)
    raw_msgs = await raw_aio_pika(args.applications)

    async def sunk(conn: asyncpg.Connection) -> int:
        return int(await conn.fetchval("SELECT count(*) FROM sink_messages"))

    notify = await run_service(args.applications, processes=args.processes, key_file=key_file(),
                               email=False, smtp_port=0, delivered=sunk, envelopes=envelopes,
                               extra_env={"QUIET_START": "00:00", "QUIET_END": "00:00"})
    notify_s = args.applications / notify.per_s
    raw_notify_s = args.applications / raw_msgs
    rows = [
        ("applications / seats", f"{args.applications:,} / {args.seats:,} "
                                 f"({out.offers} offers, {out.waitlisted:,} waitlisted)"),
        ("draw (s)", f"{draw_watch.elapsed:.2f}  ({draw_watch.elapsed / raw_draw_s:.1f}x the "
                     f"raw asyncpg draw, {raw_draw_s:.2f} s)"),
        ("notify every applicant by SMS (s)",
         f"{notify_s:.2f}  ({notify_s / raw_notify_s:.1f}x raw aio-pika publish+consume, "
         f"{raw_notify_s:.2f} s; service CPU {notify.cpu_ms:.2f} ms each)"),
        ("draw + notify (s)", f"{draw_watch.elapsed + notify_s:.2f}"),
    ]
    report("lottery", rows, {
        "args": vars(args), "draw_s": draw_watch.elapsed, "raw_draw_s": raw_draw_s,
        "notify_s": notify_s, "raw_notify_s": raw_notify_s, "notify_cpu_ms": notify.cpu_ms,
        "offers": out.offers, "waitlisted": out.waitlisted,
    })


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=300)
    parser.add_argument("--processes", type=int, default=1,
                        help="notification service instances")
    asyncio.run(main(parser.parse_args()))
