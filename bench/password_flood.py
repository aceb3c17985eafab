"""Password flood: the enrollment process's memory while many wrong passwords arrive at once,
beside a bare handler hashing the way the service did before (argon2-cffi defaults, unbounded).

Usage: python -m bench.password_flood [--wrong 200] [--right 5] [--limit-mb 200]

- service:  `python -m services.enrollment` in a child process with its default hashing
            settings; trusts 127.0.0.1 as its proxy so each request names its own client in
            X-Forwarded-For (a botnet: no per-address limit stops the flood before hashing).
            --wrong sign-ins with wrong passwords (unknown phones: a dummy hash is verified)
            and --right correct sign-ins of one trainer start at once; a correct one answered
            503 (or 429 while the trainer's other attempts are being checked) waits its
            Retry-After and tries again, as a client would.
- baseline: a bare aiohttp handler in a child process verifying each password with
            argon2-cffi's defaults (64 MiB, t=3, p=4) in asyncio's default threads: what a
            sign-in cost before issue 15. The same --wrong requests at once.
- figures:  each process's resident memory before the flood and its peak (VmHWM, /proc),
            the answers, and the ratio of the two peaks; the service must stay under
            --limit-mb with every correct sign-in answered 200 (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from bench.common import (
    Stopwatch,
    free_port,
    fresh_database,
    peak_rss_mb,
    remove_database,
    report,
    unique,
    wait_up,
)
from bench.enrollment_bench import bench_keys, delete_exchange, service_env
from services.enrollment.app import MIGRATIONS
from services.enrollment.crypto.passwords import HashLimits, PasswordHashing
from shared.ids import new_id

PASSWORD = "correct horse battery"
TRAINER = "+8613312300001"


def rss_mb(pid: int) -> float:
    """Return a live process's resident memory now, in MiB (VmRSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def baseline_app() -> web.Application:
    """Return the bare handler: POST /token verifies with argon2-cffi's defaults, unbounded."""
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError

    hasher = PasswordHasher()
    dummy = hasher.hash("not-a-real-password")

    def verify(password: str) -> bool:
        try:
            return hasher.verify(dummy, password)
        except VerificationError:
            return False

    async def token(request: web.Request) -> web.Response:
        body = await request.json()
        matched = await asyncio.to_thread(verify, body["password"])
        return web.json_response({}, status=200 if matched else 401)

    app = web.Application()
    app.router.add_post("/api/v1/auth/token", token)
    app.router.add_get("/readyz", lambda _: web.Response(text="ok"))  # type: ignore[arg-type,return-value]
    return app


async def sign_in(http: aiohttp.ClientSession, url: str, phone: str, password: str,
                  client: str) -> tuple[int, str | None]:
    """Post one password sign-in as `client`; return the status and Retry-After."""
    async with http.post(f"{url}/api/v1/auth/token", json={"phone": phone, "password": password},
                         headers={"X-Forwarded-For": client}) as resp:
        await resp.read()
        return resp.status, resp.headers.get("Retry-After")


async def sign_in_until_answered(http: aiohttp.ClientSession, url: str, client: str,
                                 deadline: float) -> int:
    """Sign in correctly, waiting out short refusals (503 or 429 with a Retry-After of a few
    seconds: attempts of the same phone still being checked) until the deadline."""
    while True:
        status, retry_after = await sign_in(http, url, TRAINER, PASSWORD, client)
        wait = float(retry_after or 0)
        if status not in (429, 503) or not 0 < wait <= 5 or time.monotonic() > deadline:
            return status
        await asyncio.sleep(wait)


async def flood(url: str, pid: int, *, wrong: int, right: int) -> dict[str, Any]:
    """Send `wrong` bad and `right` good sign-ins at once; watch the process's memory."""
    samples: list[float] = []
    done = asyncio.Event()

    async def watch() -> None:
        while not done.is_set():
            samples.append(rss_mb(pid))
            await asyncio.sleep(0.02)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        before = rss_mb(pid)
        watcher = asyncio.create_task(watch())
        deadline = time.monotonic() + 60
        with Stopwatch() as clock:
            results = await asyncio.gather(
                *(sign_in(http, url, f"+86139{i:08d}", "wrong password", f"198.18.{i // 250}."
                          f"{i % 250 + 1}") for i in range(wrong)),
                *(sign_in_until_answered(http, url, f"203.0.113.{k + 1}", deadline)
                  for k in range(right)),
            )
        done.set()
        await watcher
    wrong_statuses = Counter(r[0] for r in results[:wrong])  # type: ignore[index]
    right_statuses = Counter(results[wrong:])
    return {"rss_before_mb": before, "rss_max_sampled_mb": max(samples, default=before),
            "peak_rss_mb": peak_rss_mb(pid), "seconds": clock.elapsed,
            "wrong": dict(wrong_statuses), "right": dict(right_statuses)}


async def add_trainer(dsn: str) -> None:
    """Insert the trainer, its password hashed with the service's default cost."""
    hashing = PasswordHashing(HashLimits())
    try:
        password_hash = await hashing.hash(PASSWORD)
    finally:
        hashing.close()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """INSERT INTO users (id, role, phone, name, password_hash, claimed_at, created_at,
                                  updated_at) VALUES ($1, 'trainer', $2, '王老师', $3, now(), now(),
                                  now())""", new_id(), TRAINER, password_hash)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> int:
    """Flood the baseline, then the service; report both peaks and their ratio."""
    keys = bench_keys()
    dsn = await fresh_database("jx_bench_pwd", [MIGRATIONS])
    await add_trainer(dsn)
    namespace = unique("jxbench").replace("_", "-")
    service_port, baseline_port = free_port(), free_port()
    env = service_env(dsn, service_port, keys, relay=False, namespace=namespace)
    env["JIANGXIN_ENROLLMENT_TRUSTED_PROXIES"] = '["127.0.0.1"]'
    figures: dict[str, dict[str, Any]] = {}
    try:
        baseline = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.password_flood", "--serve-baseline", str(baseline_port))
        try:
            b_url = f"http://127.0.0.1:{baseline_port}"
            await wait_up(f"{b_url}/readyz")
            figures["baseline"] = await flood(b_url, baseline.pid, wrong=args.wrong, right=0)
        finally:
            baseline.terminate()
            await baseline.wait()
        service = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.enrollment", env=env,
            stdout=asyncio.subprocess.DEVNULL,  # a warning per 503: the table counts them
            stderr=asyncio.subprocess.DEVNULL)
        try:
            s_url = f"http://127.0.0.1:{service_port}"
            await wait_up(f"{s_url}/readyz")
            figures["service"] = await flood(s_url, service.pid, wrong=args.wrong,
                                             right=args.right)
        finally:
            service.terminate()
            await service.wait()
    finally:
        await delete_exchange(f"{namespace}.events")
        await remove_database(dsn)
    return summarise(figures, args)


def summarise(figures: dict[str, dict[str, Any]], args: argparse.Namespace) -> int:
    """Print the table; return the exit status (1 when the service broke its limit)."""
    s, b = figures["service"], figures["baseline"]
    ok = s["peak_rss_mb"] < args.limit_mb and s["right"] == {200: args.right}
    rows = [
        ("flood", f"{args.wrong} wrong passwords at once (+{args.right} correct on the service)"),
        ("baseline rss before / peak", f"{b['rss_before_mb']:.0f} MB / {b['peak_rss_mb']:.0f} MB"
                                       f" in {b['seconds']:.1f} s, answers {b['wrong']}"),
        ("service rss before / peak", f"{s['rss_before_mb']:.0f} MB / {s['peak_rss_mb']:.0f} MB"
                                      f" in {s['seconds']:.1f} s, answers {s['wrong']}"),
        ("service correct sign-ins", f"{s['right']} (short 503/429 waited out)"),
        ("peak ratio service/baseline", f"{s['peak_rss_mb'] / b['peak_rss_mb']:.2f}x"),
        ("verdict", f"{'PASS' if ok else 'FAIL'}: under {args.limit_mb} MB, correct sign-ins 200"),
    ]
    report("password_flood", rows, {"args": vars(args), **figures})
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wrong", type=int, default=200)
    parser.add_argument("--right", type=int, default=5)
    parser.add_argument("--limit-mb", type=float, default=200.0)
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse_args()
    if options.serve_baseline:
        web.run_app(baseline_app(), host="127.0.0.1", port=options.serve_baseline, print=None,
                    access_log=None)
    else:
        sys.exit(asyncio.run(main(options)))
