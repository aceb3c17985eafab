"""Certification benchmark: issuing, public verification and PDF rendering, each beside its raw
baseline measured in the same run.

Usage: python -m bench.certification_bench [--certificates 2000] [--seconds 8] [--quick]

- issue:  certificates/s through handlers.record_result (results upsert, national number from
          the counter row, status index, OB 3.0 VC-JWT signed with Ed25519, certificate + audit +
          outbox rows, one transaction each, 16 at a time) beside raw Ed25519 signatures/s of a
          credential-sized payload (cryptography, one core); for context also plain asyncpg
          transactions of three inserts at the same concurrency (what the database gives now).
          Then the production path: the same completion events waiting on a RabbitMQ queue,
          issued by the service's real consumer (inbox, transactions shared by ready messages).
- verify: GET /api/v1/verify/{code} requests/s through the real app (create_app, all
          middlewares, rate limiter set out of the way) served in a child process, beside a bare
          aiohttp handler reading the same row with asyncpg in a child process; the same
          aiohttp client load (same machine) drives both.
- pdf:    ms per A4 certificate (embedded TrueType CJK font when installed, and built-in CID).
Targets on the 2-core machine: >= 300 certificates/s, >= 2,000 verifications/s, PDF <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import random
import statistics
import time
from datetime import date
from pathlib import Path

import aio_pika
import aiohttp
import asyncpg
from aiohttp import web

from bench.common import (
    Stopwatch,
    cpu_seconds,
    free_port,
    fresh_database,
    pg_backends,
    remove_database,
    report,
    unique,
    wait_up,
)
from services.certification import handlers
from services.certification.app import MIGRATIONS, create_app
from services.certification.commands import RecordResult
from services.certification.config import Settings
from services.certification.deps import Deps, Secrets, build_deps, read_fernet
from services.certification.handlers.keys import add_key, load_keys
from services.certification.rendering import pdf
from shared.clock import SystemClock
from shared.db import create_pool, database_name
from shared.fonts import BUILTIN_CJK, font_name
from shared.logging import configure_logging
from shared.messaging.memory import InMemoryTransport
from shared.messaging.outbox import OutboxWriter
from shared.messaging.uow import uow_factory
from shared.service import Overrides
from tests.certification.factories import completed

KEYS = Path("var/bench/certification-keys")
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def bench_settings(dsn: str, port: int = 0) -> Settings:
    """Return settings for an assessment body on the bench database."""
    KEYS.mkdir(parents=True, exist_ok=True)
    public = KEYS / "jwt-signing.pub.pem"
    if not public.exists():
        from shared.auth import write_keypair

        write_keypair(KEYS / "jwt-signing.pem", public)
    read_fernet(KEYS / "pii-transport.key", create=True)
    return Settings(
        database_url=dsn, http_port=port, namespace=unique("jxbench").replace("_", "-"),
        jwt_public_key_file=public, pii_transport_key_file=KEYS / "pii-transport.key",
        signing_key_secret_file=KEYS / "credential-signing.key", assessment_body=True,
        run_relay=False, run_consumers=False, migrate_on_start=False, db_pool_max=10,
        verify_rate_per_s=1e9, verify_burst=1_000_000_000, log_level="WARNING",
    )


async def bench_deps(settings: Settings, pool: asyncpg.Pool) -> Deps:
    """Return the service's dependencies on a pool, with the signing key ring loaded."""
    deps = build_deps(settings, uows=uow_factory(pool, OutboxWriter("certification")), pool=pool,
                      read_pool=pool, clock=SystemClock(), secrets=Secrets.read(settings),
                      pdf_font=BUILTIN_CJK)
    await add_key(pool, deps.signing_secret, only_if_none=True)
    deps.keys.replace(await load_keys(pool, deps.signing_secret))
    return deps


# --- issuing --------------------------------------------------------------------------------


def raw_signatures_per_s(seconds: float) -> float:
    """Return Ed25519 signatures/s of a 1.5 KB message (the size of our VC-JWT input)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key, message, count = Ed25519PrivateKey.generate(), random.randbytes(1500), 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(100):
            key.sign(message)
        count += 100
    return count / (time.perf_counter() - started)


async def raw_transactions_per_s(dsn: str, seconds: float, concurrency: int = 16) -> float:
    """Return transactions/s of three small inserts each (context: what the database gives)."""
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        await pool.execute("CREATE TABLE IF NOT EXISTS bench_raw (id serial PRIMARY KEY, v text)")
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with pool.acquire() as conn, conn.transaction():
                    for value in ("a", "b", "c"):
                        await conn.execute("INSERT INTO bench_raw (v) VALUES ($1)", value)
                done += 1

        with Stopwatch() as watch:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / watch.elapsed
    finally:
        await pool.close()


async def issued_per_s(dsn: str, count: int, concurrency: int = 16) -> float:
    """Return certificates/s issued through the real handler, `concurrency` at a time."""
    settings = bench_settings(dsn)
    pool = await create_pool(dsn, min_size=concurrency, max_size=concurrency)
    try:
        deps = await bench_deps(settings, pool)
        pii = deps.pii
        events = [completed(level=random.randint(1, 5), pii=pii) for _ in range(count)]
        queue = list(reversed(events))

        async def worker() -> None:
            while queue:
                event = queue.pop()
                async with deps.uows() as uow:
                    await handlers.record_result(RecordResult.from_event(event), uow=uow,
                                                 deps=deps)

        with Stopwatch() as watch:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        made = await pool.fetchval("SELECT count(*) FROM certificates WHERE status = 'valid'")
        assert made == count, f"{made} certificates for {count} results"
        return count / watch.elapsed
    finally:
        await pool.close()


async def issued_through_consumer_per_s(dsn: str, count: int) -> float:
    """Return certificates/s when `count` completion events wait on the service's queue (a big
    class's results just released) and the real consumer (inbox, batching) issues them."""
    from bench.common import AMQP_URL
    from services.certification.subscriptions import subscriptions as subs
    from shared.messaging.consumer import Consumer, ConsumerSettings
    from shared.messaging.rabbit import RabbitTransport
    from shared.messaging.topology import QueueTopology
    from shared.messaging.transport import OutgoingMessage

    settings = bench_settings(dsn)
    pool = await create_pool(dsn, min_size=4, max_size=10)
    namespace = unique("jxbench-cons").replace("_", "-")
    transport = RabbitTransport(AMQP_URL, exchange=f"{namespace}.events")
    await transport.connect()
    topology = QueueTopology(queue=f"{namespace}.certification", bindings=subs.routing_keys)
    try:
        deps = await bench_deps(settings, pool)
        before = await pool.fetchval("SELECT count(*) FROM certificates WHERE status = 'valid'")
        await transport.declare(topology)
        pii = deps.pii
        producer = OutboxWriter("enrollment")
        for _ in range(count):
            envelope = producer.envelope(completed(level=random.randint(1, 5), pii=pii))
            await transport.publish(
                OutgoingMessage(body=envelope.model_dump_json().encode(),
                                message_id=str(envelope.message_id), type=envelope.routing_key,
                                headers=envelope.headers()),
                routing_key=envelope.routing_key)
        consumer = Consumer(service="certification", transport=transport, topology=topology,
                            subscriptions=subs, pool=pool, outbox=OutboxWriter("certification"),
                            settings=ConsumerSettings(prefetch=256), deps=deps)
        with Stopwatch() as watch:
            await consumer.start()
            while True:
                made = await pool.fetchval(
                    "SELECT count(*) FROM certificates WHERE status = 'valid'")
                if made >= before + count:
                    break
                await asyncio.sleep(0.05)
        await consumer.stop(grace_s=5)
        return count / watch.elapsed
    finally:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for name in topology.all_queues:
                await channel.queue_delete(name)
            await channel.exchange_delete(f"{namespace}.events")
        await transport.close()
        await pool.close()


# --- verification ---------------------------------------------------------------------------


def serve_app(dsn: str, port: int) -> None:
    """Child process: the real certification app."""
    configure_logging(level="WARNING", fmt="console")
    settings = bench_settings(dsn, port)
    app = create_app(settings, overrides=Overrides(transport=InMemoryTransport()))
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_bare(dsn: str, port: int) -> None:
    """Child process: a bare aiohttp handler reading one row."""

    async def make() -> web.Application:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)

        async def handle(request: web.Request) -> web.Response:
            row = await pool.fetchrow(
                "SELECT status, number, holder->>'name' AS holder, issued_on FROM certificates"
                " WHERE code = $1 AND replaced_by IS NULL", request.match_info["code"])
            if row is None:
                raise web.HTTPNotFound()
            return web.json_response({**dict(row), "issued_on": row["issued_on"].isoformat()})

        app = web.Application()
        app.router.add_get("/api/v1/verify/{code}", handle)
        return app

    web.run_app(make(), host="127.0.0.1", port=port, print=None, access_log=None)


async def requests_per_s(base: str, codes: list[str], seconds: float,
                         concurrency: int = 32) -> tuple[float, int]:
    """Return (successful requests/s, failures) of GETs spread over the codes."""
    ok = failed = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal ok, failed
            i = offset
            while time.perf_counter() < deadline:
                async with session.get(f"{base}/api/v1/verify/{codes[i % len(codes)]}") as r:
                    await r.read()
                    if r.status == 200:
                        ok += 1
                    else:
                        failed += 1
                i += concurrency
        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return ok / elapsed, failed


async def verification(dsn: str, seconds: float) -> dict[str, float]:
    """Measure the real verify handler and the bare one, one after the other."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    codes = [r["code"] for r in await pool.fetch("SELECT code FROM certificates LIMIT 1000")]
    await pool.close()
    figures: dict[str, float] = {}
    context = multiprocessing.get_context("spawn")
    for name, target in (("app", serve_app), ("bare", serve_bare)):
        port = free_port()
        child = context.Process(target=target, args=(dsn, port), daemon=True)
        child.start()
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_up(f"{base}/api/v1/verify/{codes[0]}")
            await requests_per_s(base, codes, min(1.0, seconds / 4))  # warm up
            assert child.pid is not None
            sessions = pg_backends({database_name(dsn)})  # the server's pool, open after warm-up
            before = _cpu(child.pid, sessions)
            rate, failed = await requests_per_s(base, codes, seconds)
            server_s, database_s = (a - b for a, b in zip(_cpu(child.pid, sessions), before,
                                                           strict=True))
            figures[name], figures[f"{name}_failed"] = rate, failed
            figures[f"{name}_cpu_ms"] = server_s * 1000 / (rate * seconds)
            figures[f"{name}_pg_cpu_ms"] = database_s * 1000 / (rate * seconds)
        finally:
            child.terminate()
            child.join(10)
    return figures


def _cpu(server: int, sessions: list[int]) -> tuple[float, float]:
    """Return the CPU seconds so far of the server process and of its PostgreSQL sessions."""
    return cpu_seconds(server), sum(_alive_cpu(pid) for pid in sessions)


def _alive_cpu(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except OSError:  # a session that ended counts nothing more
        return 0.0


# --- pdf ------------------------------------------------------------------------------------


def pdf_ms(count: int, font_file: str) -> float:
    """Return the mean ms to render one certificate."""
    font = font_name(font_file, 0)
    printed = pdf.PrintedCertificate(
        locale="zh-CN", kind="skill_level", holder_name="张小三", id_type="resident_id",
        id_number="460100199001011234", occupation="育婴员", work_type="育婴员", level=4,
        level_name="四级/中级工", course_title="育婴员", hours=None,
        number="S000036000123264000042", issued_on=date(2026, 3, 10),
        expires_on=date(2029, 3, 9), issuer="匠心职业技能评价中心",
        verify_url="https://certs.example.org/verify/7Q2M4KX9PA",
    )
    pdf.render(printed, font=font)  # the first render loads the font's tables
    times = []
    for i in range(count):
        # A new URL each time: no certificate's QR matrix comes from the cache.
        one = dataclasses.replace(printed, verify_url=f"{printed.verify_url}{font_file}{i}")
        with Stopwatch() as watch:
            pdf.render(one, font=font)
        times.append(watch.elapsed * 1000)
    return statistics.mean(times)


async def main(certificates: int, seconds: float) -> None:
    """Run every measurement once and print the table with ratios."""
    configure_logging(level="WARNING", fmt="console")
    dsn = await fresh_database("jx_bench_cert", [MIGRATIONS])
    try:
        raw_sign = raw_signatures_per_s(min(seconds, 3))
        raw_tx = await raw_transactions_per_s(dsn, min(seconds, 3))
        issued = await issued_per_s(dsn, certificates)
        consumed = await issued_through_consumer_per_s(dsn, certificates)
        verify = await verification(dsn, seconds)
    finally:
        await remove_database(dsn)
    pdf_ttf = pdf_ms(30, FONT)
    pdf_cid = pdf_ms(30, "/nonexistent.ttc")
    rows = [
        ("raw Ed25519 signatures/s", f"{raw_sign:,.0f}"),
        ("raw 3-insert transactions/s (x16)", f"{raw_tx:,.0f}   (context)"),
        ("certificates issued/s (handler)", f"{issued:,.0f}   target >= 300"),
        ("  issued / raw signing", f"{issued / raw_sign:.3f}"),
        ("  issued / raw transactions", f"{issued / raw_tx:.2f}"),
        ("certificates issued/s (consumer)", f"{consumed:,.0f}   target >= 300"),
        ("  consumer / raw signing", f"{consumed / raw_sign:.3f}"),
        ("bare aiohttp + 1 row reads/s", f"{verify['bare']:,.0f}"),
        ("verifications/s (real handler)", f"{verify['app']:,.0f}   target >= 2,000"),
        ("  verify / bare", f"{verify['app'] / verify['bare']:.2f}"),
        ("CPU per verification, app", f"{verify['app_cpu_ms']:.2f} ms server"
                                       f" + {verify['app_pg_cpu_ms']:.2f} ms PostgreSQL"),
        ("CPU per verification, bare", f"{verify['bare_cpu_ms']:.2f} ms server"
                                        f" + {verify['bare_pg_cpu_ms']:.2f} ms PostgreSQL"),
        ("failed requests (app, bare)", f"{verify['app_failed']:.0f}, {verify['bare_failed']:.0f}"),
        ("PDF ms (TrueType CJK embedded)", f"{pdf_ttf:.1f}   target <= 50"),
        ("PDF ms (built-in STSong-Light)", f"{pdf_cid:.1f}"),
    ]
    report("certification", rows, {
        "raw_signatures_per_s": raw_sign, "raw_transactions_per_s": raw_tx,
        "issued_per_s": issued, "issued_via_consumer_per_s": consumed, "verify": verify,
        "pdf_ms_ttf": pdf_ttf, "pdf_ms_cid": pdf_cid, "certificates": certificates,
        "seconds": seconds,
    })
    print(json.dumps({"issued_ratio": issued / raw_sign,
                      "verify_ratio": verify["app"] / verify["bare"]}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--certificates", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true", help="a short run to check it works")
    args = parser.parse_args()
    if args.quick:
        args.certificates, args.seconds = 400, 3.0
    asyncio.run(main(args.certificates, args.seconds))
