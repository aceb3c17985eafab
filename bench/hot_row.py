"""Hot-row benchmark: N enrolments into one class of --seats seats against the same N spread
over N classes, by the same service in the same run; rate and p99 reported as ratios.

Usage: python -m bench.hot_row [--enrolments 10000] [--seats 200] [--concurrency 1000]
                               [--processes 1,2] [--service-root DIR]

- service:  `python -m services.enrollment` child processes (relay, jobs and consumers off)
            sharing one port (SO_REUSEPORT), 1 then 2 of them (--processes).
- load:     every request is sent at once, bounded by --concurrency sockets of an aiohttp
            client; each request is a new trainee with an Idempotency-Key. "spread": request k
            enrols into class k (N classes); "hot": every request enrols into one class of
            --seats seats, which must end with exactly --seats confirmed and the waitlist
            numbered 1..N-seats. Rate = requests / time until the last answer.
- order:    spread, hot, hot, spread (N/2 each) per process count, so drift of the shared
            machine falls on both; the two hot halves go into two classes of --seats each.
- targets (issue 18): hot rate >= 0.8x spread, hot p99 <= 3x spread.
- --service-root DIR runs the service from another checkout (e.g. `git archive <ref>`
            unpacked under var/), to measure the code before a change in the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.common import (
    PG_BASE,
    Stopwatch,
    free_port,
    percentile,
    remove_database,
    report,
    unique,
    wait_listening,
)
from bench.enrollment_bench import (
    bench_keys,
    counts,
    create_classes,
    delete_exchange,
    insert_trainees,
    service_env,
)
from services.enrollment.app import MIGRATIONS
from shared.auth import TokenIssuer
from shared.db import ensure_database
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate

# Copies a class under new ids (the spread case's classes), skipping N API calls.
_CLONE = """
INSERT INTO classes
SELECT (jsonb_populate_record(NULL::classes, to_jsonb(c) || jsonb_build_object('id', n.id))).*
FROM classes c, unnest($2::uuid[]) AS n(id) WHERE c.id = $1
"""


@dataclass
class Burst:
    """What one burst of enrolments measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    bodies: list[dict[str, Any]]

    @property
    def rate(self) -> float:
        """Return answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


async def burst(url: str, requests: list[tuple[str, str]], *, concurrency: int) -> Burst:
    """Send every (token, class) enrolment at once through `concurrency` sockets."""
    bodies: list[dict[str, Any]] = []
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=900)) as http:

        async def one(token: str, class_id: str) -> None:
            started = time.perf_counter()
            async with http.post(url + "/api/v1/enrollments", json={"class_id": class_id},
                                 headers={"Authorization": f"Bearer {token}",
                                          "Idempotency-Key": str(new_id())}) as resp:
                statuses[resp.status] += 1
                bodies.append(await resp.json(content_type=None))
            latencies.append(time.perf_counter() - started)

        with Stopwatch() as watch:
            await asyncio.gather(*(one(t, c) for t, c in requests))
    return Burst(len(latencies), watch.elapsed, percentile(latencies, 50) * 1e3,
                 percentile(latencies, 99) * 1e3, dict(statuses), bodies)


def exact(run: Burst, seats: int) -> bool:
    """Tell whether a hot class ended with exactly `seats` confirmed and a gapless waitlist."""
    confirmed = sum(b.get("status") == "confirmed" for b in run.bodies)
    positions = sorted(b["waitlist_position"] for b in run.bodies
                       if b.get("status") == "waitlisted")
    return confirmed == seats and positions == list(range(1, run.requests - seats + 1))


def merged(runs: list[Burst]) -> Burst:
    """Add up the runs of one case: requests over total time; the worse p99."""
    return Burst(sum(r.requests for r in runs), sum(r.seconds for r in runs),
                 sum(r.p50_ms for r in runs) / len(runs), max(r.p99_ms for r in runs),
                 dict(sum((Counter(r.statuses) for r in runs), Counter())), [])


async def main(args: argparse.Namespace) -> None:
    """Set up, run spread and hot bursts per process count, report the ratios."""
    keys = bench_keys().resolve()
    issuer = TokenIssuer((keys / "jwt-signing.pem").read_bytes(), issuer="jiangxin",
                         audience="jiangxin")
    dsn = f"{PG_BASE}/{unique('jx_bench_hot')}"
    await ensure_database(dsn)
    await migrate(dsn, [MESSAGING_MIGRATIONS, MIGRATIONS])
    port = free_port()
    namespace = unique("jxbench").replace("_", "-")
    env = service_env(dsn, port, keys, relay=False, namespace=namespace)
    procs: list[asyncio.subprocess.Process] = []
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    half = args.enrolments // 2
    try:
        url = url_of(port)
        rows: list[tuple[str, str]] = [
            ("load", f"{args.enrolments:,} enrolments per case, {args.concurrency} sockets, "
                     f"aiohttp client, service from {args.service_root}")]
        raw: dict[str, Any] = {"args": {**vars(args), "service_root": str(args.service_root)},
                               "runs": {}}
        await start(procs, 1, env=env, port=port, root=args.service_root)
        made = await create_classes(url_of(port), issuer, pool, [
            size for _ in args.processes for size in (args.enrolments, args.seats, args.seats)])
        for n, count in enumerate(args.processes):
            await start(procs, count, env=env, port=port, root=args.service_root)
            template, hot_a, hot_b = made[3 * n:3 * n + 3]
            spread_ids = [new_id() for _ in range(2 * half)]
            await pool.execute(_CLONE, template, spread_ids)
            trainees = await insert_trainees(pool, 4 * half, count * 10_000_000)
            tokens = [issuer.mint(t, "trainee", name="学员", ttl_s=7200) for t in trainees]
            spread = [(tokens[k], str(spread_ids[k])) for k in range(2 * half)]
            hot = [(tokens[2 * half + k], hot_a if k < half else hot_b)
                   for k in range(2 * half)]
            plan = [("spread", spread[:half]), ("hot", hot[:half]), ("hot", hot[half:]),
                    ("spread", spread[half:])]
            runs: dict[str, list[Burst]] = {"spread": [], "hot": []}
            for case, requests in plan:
                runs[case].append(await burst(url, requests, concurrency=args.concurrency))
                print(f"{count} process(es), {case}: {runs[case][-1].rate:,.0f}/s", flush=True)
            ok = all(exact(r, args.seats) for r in runs["hot"])
            s, h = merged(runs["spread"]), merged(runs["hot"])
            each = f"{count} process{'es' if count > 1 else ''}"
            rate_ratio, p99_ratio = h.rate / s.rate, h.p99_ms / s.p99_ms
            rows += [
                (f"hot / spread rate, {each}", f"{rate_ratio:.2f}x (target >= 0.8x)"),
                (f"hot / spread p99, {each}", f"{p99_ratio:.2f}x (target <= 3x)"),
                (f"spread, {each}", f"{s.rate:,.0f}/s  p50 {s.p50_ms:,.0f} ms  "
                                    f"p99 {s.p99_ms:,.0f} ms  statuses {s.statuses}"),
                (f"hot, {each}", f"{h.rate:,.0f}/s  p50 {h.p50_ms:,.0f} ms  "
                                 f"p99 {h.p99_ms:,.0f} ms  statuses {h.statuses}"),
                (f"hot outcome, {each}", f"{args.seats} confirmed and waitlist 1..N per class "
                                         f"{'exact' if ok else 'WRONG'}"),
            ]
            raw["runs"][count] = {"spread": vars(s), "hot": vars(h), "exact": ok,
                                  "rate_ratio": rate_ratio, "p99_ratio": p99_ratio}
        report("hot_row", rows, raw)
    finally:
        await pool.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await asyncio.wait_for(proc.wait(), 30)
        await remove_database(dsn)
        await delete_exchange(f"{namespace}.events")


async def start(procs: list[asyncio.subprocess.Process], count: int, *, env: dict[str, str],
                port: int, root: Path) -> None:
    """Start service processes until `count` listen on the port."""
    while len(procs) < count:
        procs.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.enrollment", env=env, cwd=root))
    await wait_listening(port, count)


def url_of(port: int) -> str:
    """Return the service's base URL."""
    return f"http://127.0.0.1:{port}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrolments", type=int, default=10_000, help="per case")
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--processes", type=counts, default=[1, 2],
                        help="service processes, measured in turn (comma-separated)")
    parser.add_argument("--service-root", type=Path, default=Path.cwd(),
                        help="checkout the service runs from (default: this one)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
