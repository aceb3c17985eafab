"""Catalogue benchmark: the first screen's API time at two scales, beside the raw SQL floor.

Usage: python -m bench.catalogue_bench [--rounds 300] [--small 100] [--large 10000]
                                       [--classes-per-course 10] [--enrolments-per-class 10]

- scales:   small = 100 courses / 1,000 classes / 10,000 enrolments; large = 10,000 courses /
            100,000 classes / 1,000,000 enrolments (bench/catalogue_seed.py, COPY), each in
            its own database, both around today so about 4% of the classes are open now.
- service:  `python -m services.enrollment` per scale (all middlewares; relay, consumers and
            jobs off). One first screen = what the catalogue page asks, at once:
            GET /api/v1/categories and GET /api/v1/classes?open=true&limit=20, anonymous;
            its time is until both answered.
- raw:      the same two SQL statements on a bare asyncpg pool in this process, at once: the
            floor PostgreSQL sets at each scale, measured in the same run.
- rounds:   after 30 warm-up screens per side, the four sides alternate in slices
            (small, large, large, small, ...) so drift of the shared machine falls on all.
Reports the median and p95 of each side and the large/small ratios (target: service <= 1.5x).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg

from bench.catalogue_seed import seed_catalogue
from bench.common import (
    PG_BASE,
    free_port,
    median,
    percentile,
    remove_database,
    report,
    unique,
    wait_listening,
)
from bench.enrollment_bench import bench_keys, service_env
from services.enrollment.app import MIGRATIONS
from services.enrollment.views.catalogue import OPEN_PAGE_SQL
from services.enrollment.views.categories import CATEGORIES_SQL
from shared.db import ensure_database
from shared.migrations import MESSAGING_MIGRATIONS, migrate

FIRST_PAGE = "/api/v1/classes?open=true&limit=20"


async def prepare(scale: str, courses: int, args: argparse.Namespace) -> str:
    """Create, migrate and fill one database; return its DSN."""
    dsn = f"{PG_BASE}/{unique(f'jx_bench_cat_{scale}')}"
    await ensure_database(dsn)
    await migrate(dsn, [MESSAGING_MIGRATIONS, MIGRATIONS])
    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        seeded = await seed_catalogue(
            conn, courses=courses, classes_per_course=args.classes_per_course,
            enrolments_per_class=args.enrolments_per_class,
            today=datetime.now(UTC).date(), tag=scale[:1].upper())
        for table in ("courses", "classes", "enrollments", "users"):
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()
    print(f"{scale}: {seeded.courses:,} courses, {seeded.classes:,} classes "
          f"({sum(seeded.open_classes.values()):,} open), {seeded.enrolments:,} enrolments "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    return dsn


async def screen_api(http: aiohttp.ClientSession, url: str) -> float:
    """Load the first screen's API answers at once; return seconds."""
    started = time.perf_counter()

    async def get(path: str) -> None:
        async with http.get(url + path) as resp:
            await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: {resp.status}")

    await asyncio.gather(get("/api/v1/categories"), get(FIRST_PAGE))
    return time.perf_counter() - started


async def screen_raw(pool: asyncpg.Pool) -> float:
    """Run the first screen's two statements at once on a bare pool; return seconds."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    await asyncio.gather(pool.fetch(CATEGORIES_SQL, now),
                         pool.fetch(OPEN_PAGE_SQL, None, None, now, None, None, 21))
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    """Seed both scales, start a service on each, measure alternately, report."""
    keys = bench_keys()
    dsns = {"small": await prepare("small", args.small, args),
            "large": await prepare("large", args.large, args)}
    procs: list[asyncio.subprocess.Process] = []
    pools: dict[str, asyncpg.Pool] = {}
    try:
        urls = {}
        for scale, dsn in dsns.items():
            port = free_port()
            env = service_env(dsn, port, keys, relay=False, namespace=unique("jxbcat"))
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.enrollment", env=env))
            await wait_listening(port, 1)
            urls[scale] = f"http://127.0.0.1:{port}"
            pools[scale] = await asyncpg.create_pool(dsn, min_size=2, max_size=2)
        times: dict[str, list[float]] = {f"{side} {s}": [] for side in ("service", "raw")
                                         for s in dsns}
        async with aiohttp.ClientSession() as http:
            order = ["small", "large", "large", "small"]
            for warm in (True, False):
                rounds = 30 if warm else args.rounds
                for n in range(rounds):
                    scale = order[n % 4]
                    service = await screen_api(http, urls[scale])
                    raw = await screen_raw(pools[scale])
                    if not warm:
                        times[f"service {scale}"].append(service)
                        times[f"raw {scale}"].append(raw)
        rows: list[tuple[str, str]] = []
        raw_out: dict[str, Any] = {"args": vars(args), "samples": times}
        for key, values in times.items():
            rows.append((f"{key}, first screen", f"median {median(values) * 1000:.2f} ms  "
                                                 f"p95 {percentile(values, 95) * 1000:.2f} ms"))
        for side in ("service", "raw"):
            ratio = median(times[f"{side} large"]) / median(times[f"{side} small"])
            rows.append((f"{side} large/small", f"{ratio:.2f}x"))
            raw_out[f"{side}_ratio"] = ratio
        for scale in dsns:
            over = median(times[f"service {scale}"]) - median(times[f"raw {scale}"])
            rows.append((f"service - raw, {scale}", f"{over * 1000:.2f} ms"))
        report("catalogue", rows, raw_out)
    finally:
        for pool in pools.values():
            await pool.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            await asyncio.wait_for(proc.wait(), 30)
        if not args.keep:
            for dsn in dsns.values():
                await remove_database(dsn)
        else:
            print("kept:", *dsns.values())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--small", type=int, default=100, help="courses at the small scale")
    parser.add_argument("--large", type=int, default=10_000, help="courses at the large scale")
    parser.add_argument("--classes-per-course", type=int, default=10)
    parser.add_argument("--enrolments-per-class", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the databases (for EXPLAIN)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
