"""Enrollment benchmark: enrol requests/s and p99 of the real service beside a bare aiohttp +
asyncpg handler doing the same seat transaction, in the same run; then a flash sale.

Usage: python -m bench.enrollment_bench [--seconds 10] [--connections 32] [--flash 10000]
                                        [--seats 200] [--flash-concurrency 1000]
                                        [--processes 1,2] [--relay] [--service-root DIR]
                                        [--requests-per-token 1] [--profile DIR]

- service:  `python -m services.enrollment` in a child process (all middlewares, JWT check,
            eligibility read, seat UPDATE under the class row lock, enrolment + audit rows,
            outbox row, one transaction). The relay is off unless --relay (its drain rate is
            measured by bench/backbone.py); jobs and consumers are off.
- baseline: a bare aiohttp handler in a child process (bench/enrollment_baseline.py): the same
            transaction (the service's own booking-context read and seat statement, the same
            outbox row), no auth, no checks. "outbox row" compares what both sides wrote.
- --service-root DIR runs the service from another checkout (e.g. `git archive <ref>`
            unpacked there), to measure code before and after a change in the same run.
- processes: each side is measured with 1, then 2 processes (--processes) sharing its port
            (SO_REUSEPORT: JIANGXIN_HTTP_REUSE_PORT for the service), one per core as a
            2-core machine would run them; CPU per request adds up all of a side's processes.
            "best of each side" compares each side's fastest process count.
- load:     wrk (2 threads, --connections) with a Lua script giving every request a new
            trainee, spread over 64 classes; falls back to an aiohttp client without wrk.
            --requests-per-token K: each trainee enrols in K classes in a row with one token
            (a signed-in trainee's token is seen again: the service's verified-token cache can
            answer); K=1 (the default) makes every request pay a full signature check.
            After a 1 s warm-up of each, the two sides alternate A B B A (--seconds / 2 each)
            so drift of the shared machine falls on both; also reports the server processes'
            CPU time per request (/proc), which noise from other processes does not inflate.
            BENCH_PROFILE=FILE runs the service under cProfile (for finding hot spots; use
            it with --processes 1). --profile DIR records both sides' first process with
            py-spy (--gil) while the first process count is measured; summarise with
            `python -m bench.profile_summary DIR/*.speedscope.json`.
- flash:    --flash trainees enrol at once (--flash-concurrency connections, each with an
            Idempotency-Key) into one class of --seats seats; every request must be answered
            (201, no 5xx), exactly --seats confirmed and the waitlist numbered 1..N.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import aio_pika
import aiohttp
import asyncpg

from bench.common import (
    AMQP_URL,
    PG_BASE,
    cpu_seconds,
    free_port,
    remove_database,
    report,
    unique,
    wait_listening,
)
from bench.enrollment_load import Drive, Load, flash_sale, run_aiohttp, run_wrk
from services.enrollment.app import MIGRATIONS
from shared.auth import TokenIssuer, write_keypair
from shared.db import ensure_database
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate

KEYS = Path("var/bench/enrollment-keys")
CLASSES = 64

# --- set-up -----------------------------------------------------------------------------------


def bench_keys() -> Path:
    """Create (once) the key files the service reads."""
    from cryptography.fernet import Fernet

    KEYS.mkdir(parents=True, exist_ok=True)
    write_keypair(KEYS / "jwt-signing.pem", KEYS / "jwt-signing.pub.pem")
    for name in ("pii-transport.key", "pii-at-rest.key"):
        if not (KEYS / name).exists():
            (KEYS / name).write_bytes(Fernet.generate_key())
    return KEYS.resolve()


def service_env(dsn: str, port: int, keys: Path, *, relay: bool, namespace: str) -> dict[str, str]:
    """Return the environment of the service child process."""
    values = {
        "HTTP_PORT": str(port), "HTTP_REUSE_PORT": "true", "DATABASE_URL": dsn,
        "NAMESPACE": namespace,
        "JWT_PUBLIC_KEY_FILE": str(keys / "jwt-signing.pub.pem"),
        "JWT_PRIVATE_KEY_FILE": str(keys / "jwt-signing.pem"),
        "PII_TRANSPORT_KEY_FILE": str(keys / "pii-transport.key"),
        "PII_AT_REST_KEY_FILE": str(keys / "pii-at-rest.key"),
        "RUN_RELAY": str(relay).lower(), "RUN_CONSUMERS": "false", "RUN_JOBS": "false",
        "MIGRATE_ON_START": "false", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json",
        "DB_POOL_MAX": "10",
    }
    return {**os.environ, **{f"JIANGXIN_ENROLLMENT_{k}": v for k, v in values.items()}}


async def insert_trainees(pool: asyncpg.Pool, count: int, first_phone: int) -> list[UUID]:
    """Insert signed-up trainees with names; return their ids."""
    ids = [new_id() for _ in range(count)]
    now = datetime.now(UTC)
    await pool.execute(
        """INSERT INTO users (id, role, phone, name, claimed_at, created_at, updated_at)
           SELECT i, 'trainee', p, '学员', $3, $3, $3
           FROM unnest($1::uuid[], $2::text[]) AS t(i, p)""",
        ids, [f"+86139{first_phone + k:08d}" for k in range(count)], now)
    return ids


async def create_classes(url: str, issuer: TokenIssuer, pool: asyncpg.Pool,
                         capacities: list[int]) -> list[str]:
    """Create an administrator, a course and one class per capacity through the API."""
    admin = new_id()
    await pool.execute(
        "INSERT INTO users (id, role, phone, name, created_at, updated_at) "
        "VALUES ($1, 'admin', '+8613800138999', 'bench', now(), now())", admin)
    token = issuer.mint(admin, "admin", ttl_s=7200)
    starts = (datetime.now(UTC) + timedelta(days=7)).date()
    async with aiohttp.ClientSession() as http:
        course = await api(http, url, token, "/api/v1/courses", {
            "code": "BENCH", "title_zh": "互联网营销师（直播销售员）",
            "title_en": "Internet marketing: livestream sales", "category": "ecommerce",
            "level": 4, "required_hours": 80})
        klass = {"course_id": course["id"], "starts_on": starts.isoformat(),
                 "ends_on": (starts + timedelta(days=4)).isoformat(), "venue": "市工人文化宫"}
        return [(await api(http, url, token, "/api/v1/classes",
                           {**klass, "capacity": capacity}))["id"] for capacity in capacities]


# --- the run ----------------------------------------------------------------------------------


async def api(http: aiohttp.ClientSession, url: str, token: str, path: str,
              body: dict[str, Any]) -> dict[str, Any]:
    """POST to the service as an administrator."""
    async with http.post(url + path, json=body,
                         headers={"Authorization": f"Bearer {token}"}) as resp:
        result: dict[str, Any] = await resp.json()
        if resp.status != 201:
            raise RuntimeError(f"{path}: {result}")
        return result


async def main(args: argparse.Namespace) -> None:
    """Set up, measure service and baseline under the same load, run the flash sale, report."""
    keys = bench_keys()
    issuer = TokenIssuer((keys / "jwt-signing.pem").read_bytes(), issuer="jiangxin",
                         audience="jiangxin")
    dsn = f"{PG_BASE}/{unique('jx_bench_enr')}"
    await ensure_database(dsn)
    await migrate(dsn, [MESSAGING_MIGRATIONS, MIGRATIONS])
    service_port, baseline_port = free_port(), free_port()
    namespace = unique("jxbench").replace("_", "-")
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get(
        "BENCH_PROFILE") else []
    env = service_env(dsn, service_port, keys, relay=args.relay, namespace=namespace)
    procs: dict[str, list[asyncio.subprocess.Process]] = {"service": [], "baseline": []}

    async def add_processes(count: int) -> None:
        """Start processes until each side has `count`, all listening on the side's port."""
        while len(procs["service"]) < count:
            procs["service"].append(await asyncio.create_subprocess_exec(
                sys.executable, *profile, "-m", "services.enrollment", env=env,
                cwd=args.service_root))
            procs["baseline"].append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.enrollment_baseline", str(baseline_port), dsn))
        await wait_listening(service_port, count)
        await wait_listening(baseline_port, count)

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        s_url, b_url = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{baseline_port}"
        await add_processes(1)
        *classes, flash_class = await create_classes(
            s_url, issuer, pool, [100_000] * 2 * CLASSES + [args.seats])
        # Every request uses a trainee no earlier request used (or, with --requests-per-token
        # K, each trainee's token for K enrolments in a row): three chunks per side and count.
        slice_s = args.seconds / 2
        per_run = int(max(slice_s, 1.0) * 4000)
        chunks = 3 * len(args.processes)
        reuse = args.requests_per_token
        people = -(-chunks * per_run // reuse)
        s_ids = await insert_trainees(pool, people, 0)
        b_ids = await insert_trainees(pool, people, people)
        f_ids = await insert_trainees(pool, args.flash, 2 * people)
        s_tokens = [issuer.mint(t, "trainee", name="学员", ttl_s=7200) for t in s_ids]
        s_lines = [f"{s_tokens[k // reuse]} {classes[k % CLASSES]}"
                   for k in range(chunks * per_run)]
        b_lines = [f"{b_ids[k // reuse]} {classes[CLASSES + k % CLASSES]}"
                   for k in range(chunks * per_run)]
        f_tokens = [issuer.mint(t, "trainee", name="学员", ttl_s=7200) for t in f_ids]
        drive = run_wrk if shutil.which("wrk") and not args.aiohttp_client else run_aiohttp
        client = "wrk" if drive is run_wrk else "aiohttp"
        print(f"load: {client}, {args.connections} connections, {args.seconds:.0f} s per side",
              flush=True)
        rows = [("client", f"{client}, {args.connections} connections, relay "
                           f"{'on' if args.relay else 'off'}"),
                ("tokens", "a new trainee and token on every request" if reuse == 1 else
                 f"each trainee's token on {reuse} enrolments in a row (other classes)")]
        raw: dict[str, Any] = {"args": vars(args), "client": client, "runs": {}}
        for n, count in enumerate(args.processes):
            await add_processes(count)
            lines = {"service": s_lines[3 * n * per_run:], "baseline": b_lines[3 * n * per_run:]}
            spies = (record_profiles(args.profile, {side: ps[0].pid for side, ps in procs.items()})
                     if args.profile and n == 0 else [])
            s_load, b_load, cpu = await measure(
                drive, {"service": s_url, "baseline": b_url}, lines, procs,
                per_run=per_run, slice_s=slice_s, connections=args.connections)
            await stop_profiles(spies)
            ratio = s_load.rps / b_load.rps if b_load.rps else 0.0
            s_cpu, b_cpu = cpu_ms(cpu["service"], s_load), cpu_ms(cpu["baseline"], b_load)
            each = f"{count} process{'es' if count > 1 else ''} each"
            rows += [
                (f"service enrol, {each}", f"{s_load.rps:,.0f} req/s  p50 {s_load.p50_ms:.1f} ms"
                                           f"  p99 {s_load.p99_ms:.1f} ms  errors "
                                           f"{s_load.errors}"),
                (f"bare handler, {each}", f"{b_load.rps:,.0f} req/s  p50 {b_load.p50_ms:.1f} ms"
                                          f"  p99 {b_load.p99_ms:.1f} ms  errors "
                                          f"{b_load.errors}"),
                (f"ratio, {each}", f"{ratio:.2f}x"),
                (f"CPU per request, {each}", f"{s_cpu / b_cpu:.2f}x (service {s_cpu:.2f} ms, "
                                             f"baseline {b_cpu:.2f} ms, all its processes)"),
            ]
            raw["runs"][count] = {"service": vars(s_load), "baseline": vars(b_load),
                                  "cpu_seconds": cpu, "ratio": ratio}
        if len(args.processes) > 1:
            best = {side: max(run[side]["requests"] / run[side]["seconds"]
                              for run in raw["runs"].values()) for side in ("service", "baseline")}
            rows.append(("ratio, best of each side", f"{best['service'] / best['baseline']:.2f}x "
                         f"({best['service']:,.0f} / {best['baseline']:,.0f} req/s)"))
            raw["best_ratio"] = best["service"] / best["baseline"]
        rows.append(("outbox row, service / baseline", await outbox_rows(pool, classes)))
        before = sum(cpu_seconds(p.pid) for p in procs["service"])
        flash = await flash_sale(s_url, f_tokens, flash_class,
                                 concurrency=args.flash_concurrency, seats=args.seats)
        flash_cpu = sum(cpu_seconds(p.pid) for p in procs["service"]) - before
        rows += [
            (f"flash sale, {len(procs['service'])} service processes",
             f"{flash.requests:,} enrolments into {args.seats} seats answered in "
             f"{flash.seconds:.1f} s ({flash.requests / flash.seconds:,.0f}/s, "
             f"p99 {flash.p99_ms:,.0f} ms, {args.flash_concurrency} sockets)"),
            ("flash sale outcome", f"statuses {flash.statuses}, confirmed {flash.confirmed}, "
                                   f"waitlist 1..{args.flash - args.seats} "
                                   f"{'exact' if flash.positions_ok else 'WRONG'}"),
            ("flash sale CPU per request", f"service {flash_cpu * 1000 / flash.requests:.2f} ms"
                                           if flash.requests else "-"),
        ]
        raw["flash"] = {**vars(flash), "cpu_seconds": flash_cpu}
        report("enrollment", rows, raw)
    finally:
        await pool.close()
        everyone = procs["service"] + procs["baseline"]
        for proc in everyone:
            proc.terminate()
        for proc in everyone:
            await asyncio.wait_for(proc.wait(), 30)
        await remove_database(dsn)
        await delete_exchange(f"{namespace}.events")


async def measure(
    drive: Drive, urls: dict[str, str], lines: dict[str, list[str]],
    procs: dict[str, list[asyncio.subprocess.Process]], *, per_run: int, slice_s: float,
    connections: int,
) -> tuple[Load, Load, dict[str, float]]:
    """Warm each side up for 1 s, then alternate A B B A (slice_s each) so drift of the shared
    machine falls on both; return both loads and each side's server CPU seconds."""
    runs: dict[str, list[Load]] = {"service": [], "baseline": []}
    cpu: dict[str, float] = {"service": 0.0, "baseline": 0.0}
    for n, side in enumerate(["service", "baseline", "service", "baseline", "baseline",
                              "service"]):
        chunk = lines[side][(n // 2) * per_run:(n // 2 + 1) * per_run]
        warm_up = n < 2
        before = sum(cpu_seconds(p.pid) for p in procs[side])
        load = await drive(urls[side], chunk, mode=side, seconds=1.0 if warm_up else slice_s,
                           connections=connections)
        if not warm_up:
            runs[side].append(load)
            cpu[side] += sum(cpu_seconds(p.pid) for p in procs[side]) - before
    return combine(runs["service"]), combine(runs["baseline"]), cpu


def record_profiles(directory: Path, pids: dict[str, int]) -> list[asyncio.Task[int]]:
    """Record these processes with py-spy (speedscope, --gil) until stop_profiles."""
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")

    async def record(name: str, pid: int) -> int:
        proc = await asyncio.create_subprocess_exec(
            spy, "record", "--pid", str(pid), "--format", "speedscope", "--rate", "200", "--gil",
            "--output", str(directory / f"{name}.speedscope.json"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            return await proc.wait()
        except asyncio.CancelledError:
            proc.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
            return await proc.wait()

    return [asyncio.create_task(record(name, pid)) for name, pid in pids.items()]


async def stop_profiles(tasks: list[asyncio.Task[int]]) -> None:
    """Stop the profilers and wait until they have written their files."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def outbox_rows(pool: asyncpg.Pool, classes: list[str]) -> str:
    """Compare the outbox rows both sides wrote: mean body and headers sizes, body keys."""
    rows = await pool.fetch(
        """SELECT e.class_id = ANY($1::uuid[]) AS service, count(*) AS n,
                  avg(octet_length(o.body)) AS body, avg(octet_length(o.headers::text)) AS headers,
                  array_agg(DISTINCT (SELECT string_agg(k, ',' ORDER BY k)
                                      FROM jsonb_object_keys(o.body::jsonb -> 'data') AS k))
                      AS keys
           FROM outbox o JOIN enrollments e ON e.id::text = o.aggregate_id
           GROUP BY 1""", classes[:CLASSES])
    by = {r["service"]: r for r in rows}
    if set(by) != {True, False}:
        return "missing"
    s, b = by[True], by[False]
    same = "same data fields" if s["keys"] == b["keys"] else f"DIFFERENT: {s['keys']} {b['keys']}"
    return (f"body {s['body']:.0f} / {b['body']:.0f} B, headers {s['headers']:.0f} / "
            f"{b['headers']:.0f} B, {same}")


def cpu_ms(seconds: float, load: Load) -> float:
    """Return server CPU milliseconds per request."""
    return seconds * 1000 / load.requests if load.requests else float("nan")


def combine(loads: list[Load]) -> Load:
    """Add up runs of one side: total requests over total time; the worse p99."""
    return Load(
        requests=sum(x.requests for x in loads), seconds=sum(x.seconds for x in loads),
        p50_ms=sum(x.p50_ms for x in loads) / len(loads), p99_ms=max(x.p99_ms for x in loads),
        errors=sum(x.errors for x in loads),
    )


async def delete_exchange(name: str) -> None:
    """Remove the exchange the service declared for this run."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(name)


def counts(text: str) -> list[int]:
    """Parse "1,2" into increasing process counts."""
    values = sorted({int(x) for x in text.split(",")})
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("process counts are positive integers")
    return values


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--flash", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--flash-concurrency", type=int, default=1000)
    parser.add_argument("--processes", type=counts, default=[1, 2],
                        help="processes per side, measured in turn (comma-separated)")
    parser.add_argument("--relay", action="store_true", help="run the outbox relay too")
    parser.add_argument("--requests-per-token", type=int, default=1,
                        help="enrolments per trainee token (1: every request a new token)")
    parser.add_argument("--aiohttp-client", action="store_true", help="do not use wrk")
    parser.add_argument("--profile", type=Path,
                        help="directory for py-spy profiles of the first process of each side")
    parser.add_argument("--service-root", type=Path, default=Path.cwd(),
                        help="run the service from this checkout")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
