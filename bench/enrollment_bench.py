"""Enrollment benchmark: enrol requests/s and p99 of the real service beside a bare aiohttp +
asyncpg handler doing the same seat transaction, in the same run; then a flash sale.

Usage: python -m bench.enrollment_bench [--seconds 10] [--connections 32] [--flash 10000]
                                        [--seats 200] [--flash-concurrency 1000] [--relay]

- service:  `python -m services.enrollment` in a child process (all middlewares, JWT check,
            eligibility read, seat UPDATE under the class row lock, enrolment + audit rows,
            outbox row, one transaction). The relay is off unless --relay (its drain rate is
            measured by bench/backbone.py); jobs and consumers are off.
- baseline: a bare aiohttp handler in a child process: one transaction with the same seat
            UPDATE, an enrolment row and an outbox row of the same size, no auth, no checks.
- load:     wrk (2 threads, --connections) with a Lua script giving every request a new
            trainee, spread over 64 classes; falls back to an aiohttp client without wrk.
- flash:    --flash trainees enrol at once (--flash-concurrency connections, each with an
            Idempotency-Key) into one class of --seats seats; every request must be answered
            (201, no 5xx), exactly --seats confirmed and the waitlist numbered 1..N.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import aio_pika
import aiohttp
import asyncpg

from bench.common import AMQP_URL, PG_BASE, Stopwatch, percentile, remove_database, report, unique
from services.enrollment.app import MIGRATIONS
from shared.auth import TokenIssuer, write_keypair
from shared.db import ensure_database
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate

KEYS = Path("var/bench/enrollment-keys")
CLASSES = 64

WRK_SCRIPT = r"""
local lines, n = {}, 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  for line in io.lines(args[1]) do lines[#lines + 1] = line end
  mode = args[2]
  stride = tonumber(args[3])
  n = tid
end
function request()
  n = n + stride
  local auth, class_id = lines[(n % #lines) + 1]:match("(%S+) (%S+)")
  if mode == "service" then
    return wrk.format("POST", "/api/v1/enrollments",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. auth},
      '{"class_id":"' .. class_id .. '"}')
  end
  return wrk.format("POST", "/enrol", {["Content-Type"] = "application/json"},
    '{"class_id":"' .. class_id .. '","trainee_id":"' .. auth .. '"}')
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"status_errors":%d,' ..
    '"socket_errors":%d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


# --- the bare baseline ------------------------------------------------------------------------

_BASE_SEAT = """
UPDATE classes SET bookings = bookings + 1,
    seats_taken = seats_taken
        + CASE WHEN seats_taken < capacity AND waitlist_length = 0 THEN 1 ELSE 0 END,
    waitlist_length = waitlist_length
        + CASE WHEN seats_taken < capacity AND waitlist_length = 0 THEN 0 ELSE 1 END
WHERE id = $1 AND status = 'scheduled' RETURNING bookings, waitlist_length
"""
_BASE_ENROL = """
INSERT INTO enrollments (id, class_id, trainee_id, status, via, booking_no, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'self', $5, now(), now())
"""
_BASE_OUTBOX = """
INSERT INTO outbox (message_id, aggregate_id, routing_key, body) VALUES ($1, $2, $3, $4)
"""


def serve_baseline(dsn: str, port: int) -> None:
    """Serve POST /enrol with one bare asyncpg transaction per request (child process)."""
    from aiohttp import web

    async def enrol(request: web.Request) -> web.Response:
        body = await request.json()
        class_id, trainee_id = UUID(body["class_id"]), UUID(body["trainee_id"])
        enrollment_id = new_id()
        async with request.app["pool"].acquire() as conn, conn.transaction():
            seat = await conn.fetchrow(_BASE_SEAT, class_id)
            confirmed = seat["waitlist_length"] == 0
            status = "confirmed" if confirmed else "waitlisted"
            await conn.execute(_BASE_ENROL, enrollment_id, class_id, trainee_id, status,
                               seat["bookings"])
            await conn.execute(_BASE_OUTBOX, new_id(), str(enrollment_id),
                               f"enrollment.{status}.v1", _event_body(enrollment_id, status))
        return web.json_response({"id": str(enrollment_id), "status": status,
                                  "waitlist_position": None if confirmed
                                  else seat["waitlist_length"]}, status=201)

    async def pool_ctx(app: web.Application) -> Any:
        app["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        yield
        await app["pool"].close()

    app = web.Application()
    app.router.add_post("/enrol", enrol)
    app.cleanup_ctx.append(pool_ctx)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _event_body(enrollment_id: UUID, status: str) -> str:
    """An envelope of the size the service writes (about 1 KB)."""
    return json.dumps({
        "message_id": str(new_id()), "type": f"enrollment.{status}", "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(), "producer": "enrollment",
        "correlation_id": str(new_id()), "aggregate_id": str(enrollment_id),
        "data": {"enrollment_id": str(enrollment_id), "seq": 1, "actor": "trainee",
                 "trainee": {"user_id": str(new_id()), "name": "学员", "phone": "+8613800138000",
                             "email": None, "locale": "zh-CN", "timezone": "Asia/Shanghai"},
                 "class_info": {"class_id": str(new_id()), "course_id": str(new_id()),
                                "course_code": "LIVE-SALES",
                                "course_title_zh": "互联网营销师（直播销售员）",
                                "course_title_en": "Internet marketing: livestream sales",
                                "starts_on": "2025-07-01", "ends_on": "2025-07-05",
                                "first_session_at": None, "venue": "市工人文化宫", "online": False},
                 "via": "self"}}, ensure_ascii=False)


# --- set-up -----------------------------------------------------------------------------------


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_keys() -> Path:
    """Create (once) the key files the service reads."""
    from cryptography.fernet import Fernet

    KEYS.mkdir(parents=True, exist_ok=True)
    write_keypair(KEYS / "jwt-ed25519.pem", KEYS / "jwt-ed25519.pub.pem")
    for name in ("pii-transport.key", "pii-at-rest.key"):
        if not (KEYS / name).exists():
            (KEYS / name).write_bytes(Fernet.generate_key())
    return KEYS


def service_env(dsn: str, port: int, keys: Path, *, relay: bool, namespace: str) -> dict[str, str]:
    """Return the environment of the service child process."""
    values = {
        "HTTP_PORT": str(port), "DATABASE_URL": dsn, "NAMESPACE": namespace,
        "JWT_PUBLIC_KEY_FILE": str(keys / "jwt-ed25519.pub.pem"),
        "JWT_PRIVATE_KEY_FILE": str(keys / "jwt-ed25519.pem"),
        "PII_TRANSPORT_KEY_FILE": str(keys / "pii-transport.key"),
        "PII_AT_REST_KEY_FILE": str(keys / "pii-at-rest.key"),
        "RUN_RELAY": str(relay).lower(), "RUN_CONSUMERS": "false", "RUN_JOBS": "false",
        "MIGRATE_ON_START": "false", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "json",
        "DB_POOL_MAX": "10",
    }
    return {**os.environ, **{f"JIANGXIN_ENROLLMENT_{k}": v for k, v in values.items()}}


async def wait_up(url: str, timeout: float = 30.0) -> None:
    """Wait until a server answers."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.1)


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


@dataclass
class Load:
    """What a load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        """Return requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


async def run_wrk(url: str, lines: list[str], *, mode: str, seconds: float,
                  connections: int) -> Load:
    """Drive a server with wrk for `seconds`; one line (credential + class) per request."""
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "lines.txt", Path(tmp) / "enrol.lua"
        data.write_text("\n".join(lines) + "\n")
        script.write_text(WRK_SCRIPT)
        proc = await asyncio.create_subprocess_exec(
            "wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s",
            str(script), url, "--", str(data), mode, "2",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    line = next((x for x in out.decode().splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {err.decode()} {out.decode()}")
    r = json.loads(line[4:])
    return Load(r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1e3, r["p99_us"] / 1e3,
                r["status_errors"] + r["socket_errors"])


async def run_aiohttp(url: str, lines: list[str], *, mode: str, seconds: float,
                      connections: int) -> Load:
    """The same load as run_wrk, from an aiohttp client (when wrk is not installed)."""
    latencies: list[float] = []
    errors = 0
    cursor = iter(lines)
    deadline = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            auth, class_id = next(cursor).split()
            if mode == "service":
                kw: dict[str, Any] = {"json": {"class_id": class_id},
                                      "headers": {"Authorization": f"Bearer {auth}"}}
                path = "/api/v1/enrollments"
            else:
                kw, path = {"json": {"class_id": class_id, "trainee_id": auth}}, "/enrol"
            started = time.perf_counter()
            async with http.post(url + path, **kw) as resp:
                await resp.read()
                errors += resp.status >= 300
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        with Stopwatch() as watch:
            await asyncio.gather(*(worker(http) for _ in range(connections)))
    return Load(len(latencies), watch.elapsed, percentile(latencies, 50) * 1e3,
                percentile(latencies, 99) * 1e3, errors)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Flash:
    """What the flash sale measured."""

    requests: int
    seconds: float
    statuses: dict[int, int]
    confirmed: int
    positions_ok: bool
    p99_ms: float


async def flash_sale(url: str, tokens: list[str], class_id: str, *, concurrency: int,
                     seats: int) -> Flash:
    """Send every enrolment at once (bounded by `concurrency` sockets); time until all answered."""
    replies: list[tuple[int, dict[str, Any]]] = []
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=600)) as http:

        async def one(token: str) -> None:
            started = time.perf_counter()
            async with http.post(url + "/api/v1/enrollments", json={"class_id": class_id},
                                 headers={"Authorization": f"Bearer {token}",
                                          "Idempotency-Key": str(new_id())}) as resp:
                replies.append((resp.status, await resp.json(content_type=None)))
            latencies.append(time.perf_counter() - started)

        with Stopwatch() as watch:
            await asyncio.gather(*(one(t) for t in tokens))
    statuses = Counter(status for status, _ in replies)
    confirmed = sum(1 for s, b in replies if s == 201 and b["status"] == "confirmed")
    positions = sorted(b["waitlist_position"] for s, b in replies
                       if s == 201 and b["status"] == "waitlisted")
    return Flash(len(replies), watch.elapsed, dict(statuses), confirmed,
                 positions == list(range(1, len(tokens) - seats + 1)),
                 percentile(latencies, 99) * 1e3)


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
    issuer = TokenIssuer((keys / "jwt-ed25519.pem").read_bytes(), issuer="jiangxin",
                         audience="jiangxin")
    dsn = f"{PG_BASE}/{unique('jx_bench_enr')}"
    await ensure_database(dsn)
    await migrate(dsn, [MESSAGING_MIGRATIONS, MIGRATIONS])
    service_port, baseline_port = free_port(), free_port()
    namespace = unique("jxbench").replace("_", "-")
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get(
        "BENCH_PROFILE") else []
    service = await asyncio.create_subprocess_exec(
        sys.executable, *profile, "-m", "services.enrollment",
        env=service_env(dsn, service_port, keys, relay=args.relay, namespace=namespace))
    baseline = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.enrollment_bench", "--serve-baseline", str(baseline_port),
        dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    try:
        s_url, b_url = f"http://127.0.0.1:{service_port}", f"http://127.0.0.1:{baseline_port}"
        await wait_up(s_url + "/healthz")
        await wait_up(b_url + "/")
        admin = new_id()
        await pool.execute(
            "INSERT INTO users (id, role, phone, name, created_at, updated_at) "
            "VALUES ($1, 'admin', '+8613800138999', 'bench', now(), now())", admin)
        admin_token = issuer.mint(admin, "admin", ttl_s=7200)
        starts = (datetime.now(UTC) + timedelta(days=7)).date()
        async with aiohttp.ClientSession() as http:
            course = await api(http, s_url, admin_token, "/api/v1/courses", {
                "code": "BENCH", "title_zh": "互联网营销师（直播销售员）",
                "title_en": "Internet marketing: livestream sales", "category": "ecommerce",
                "level": 4, "required_hours": 80})
            klass = {"course_id": course["id"], "capacity": 100_000,
                     "starts_on": starts.isoformat(),
                     "ends_on": (starts + timedelta(days=4)).isoformat(),
                     "venue": "市工人文化宫"}
            classes = [(await api(http, s_url, admin_token, "/api/v1/classes", klass))["id"]
                       for _ in range(2 * CLASSES)]
            flash_class = (await api(http, s_url, admin_token, "/api/v1/classes",
                                     {**klass, "capacity": args.seats}))["id"]
        per_side = int(args.seconds * 4000)
        s_ids = await insert_trainees(pool, per_side, 0)
        b_ids = await insert_trainees(pool, per_side, per_side)
        f_ids = await insert_trainees(pool, args.flash, 2 * per_side)
        s_lines = [f"{issuer.mint(t, 'trainee', name='学员', ttl_s=7200)} "
                   f"{classes[k % CLASSES]}" for k, t in enumerate(s_ids)]
        b_lines = [f"{t} {classes[CLASSES + k % CLASSES]}" for k, t in enumerate(b_ids)]
        f_tokens = [issuer.mint(t, "trainee", name="学员", ttl_s=7200) for t in f_ids]
        drive = run_wrk if shutil.which("wrk") and not args.aiohttp_client else run_aiohttp
        client = "wrk" if drive is run_wrk else "aiohttp"
        print(f"load: {client}, {args.connections} connections, {args.seconds:.0f} s per side",
              flush=True)
        s_load = await drive(s_url, s_lines, mode="service", seconds=args.seconds,
                             connections=args.connections)
        b_load = await drive(b_url, b_lines, mode="baseline", seconds=args.seconds,
                             connections=args.connections)
        flash = await flash_sale(s_url, f_tokens, flash_class,
                                 concurrency=args.flash_concurrency, seats=args.seats)
        ratio = s_load.rps / b_load.rps if b_load.rps else 0.0
        rows = [
            ("client", f"{client}, {args.connections} connections, relay "
                       f"{'on' if args.relay else 'off'}"),
            ("service enrol", f"{s_load.rps:,.0f} req/s  p50 {s_load.p50_ms:.1f} ms  "
                              f"p99 {s_load.p99_ms:.1f} ms  errors {s_load.errors}"),
            ("bare aiohttp+asyncpg", f"{b_load.rps:,.0f} req/s  p50 {b_load.p50_ms:.1f} ms  "
                                     f"p99 {b_load.p99_ms:.1f} ms  errors {b_load.errors}"),
            ("ratio service/baseline", f"{ratio:.2f}x"),
            ("flash sale", f"{flash.requests:,} enrolments into {args.seats} seats answered in "
                           f"{flash.seconds:.1f} s ({flash.requests / flash.seconds:,.0f}/s, "
                           f"p99 {flash.p99_ms:,.0f} ms, {args.flash_concurrency} sockets)"),
            ("flash sale outcome", f"statuses {flash.statuses}, confirmed {flash.confirmed}, "
                                   f"waitlist 1..{args.flash - args.seats} "
                                   f"{'exact' if flash.positions_ok else 'WRONG'}"),
        ]
        report("enrollment", rows, {"service": vars(s_load), "baseline": vars(b_load),
                                    "ratio": ratio, "flash": vars(flash), "args": vars(args),
                                    "client": client})
    finally:
        await pool.close()
        for proc in (service, baseline):
            proc.terminate()
        for proc in (service, baseline):
            await asyncio.wait_for(proc.wait(), 30)
        await remove_database(dsn)
        await delete_exchange(f"{namespace}.events")


async def delete_exchange(name: str) -> None:
    """Remove the exchange the service declared for this run."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.exchange_delete(name)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--flash", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--flash-concurrency", type=int, default=1000)
    parser.add_argument("--relay", action="store_true", help="run the outbox relay too")
    parser.add_argument("--aiohttp-client", action="store_true", help="do not use wrk")
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "DSN"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve_baseline:
        serve_baseline(arguments.serve_baseline[1], int(arguments.serve_baseline[0]))
    else:
        asyncio.run(main(arguments))
