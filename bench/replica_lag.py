"""Replication lag of the certification read path: how soon a change committed on the primary can
be read on its streaming standby (deploy/local/pg-replica.sh on ports of this run's own).

Usage: python -m bench.replica_lag [--changes 300]

Commits single-row updates on the primary one after another (the shape of a revocation: one
row changes, one commit) and after each commit reads the standby in a tight loop until it
returns the new value; prints p50/p99/max of commit-to-visible and the primary's own
`pg_stat_replication.replay_lag` at the end. The standby uses PostgreSQL's defaults
(asynchronous streaming, no synchronous_commit on the replica).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import time
from pathlib import Path

import asyncpg

from bench.common import percentile, report, unique
from deploy.gateway import REPO

SCRIPT = REPO / "deploy" / "local" / "pg-replica.sh"


def replica(*args: str, directory: Path, ports: tuple[int, int]) -> None:
    """Run pg-replica.sh on this benchmark's directory and ports."""
    env = {**os.environ, "JIANGXIN_PG_REPLICA_DIR": str(directory),
           "JIANGXIN_PG_PRIMARY_PORT": str(ports[0]), "JIANGXIN_PG_STANDBY_PORT": str(ports[1])}
    subprocess.run([str(SCRIPT), *args], env=env, cwd=REPO, check=True)


async def commit_to_visible(primary: str, standby: str, changes: int) -> list[float]:
    """Return the seconds from each commit on the primary until the standby reads it."""
    writer = await asyncpg.connect(primary)
    await writer.execute("CREATE TABLE lag (id int PRIMARY KEY, value int NOT NULL)")
    await writer.execute("INSERT INTO lag VALUES (1, 0)")
    reader = await asyncpg.connect(standby)
    written = await writer.fetchval("SELECT pg_current_wal_lsn()::text")
    while not await reader.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", written):
        pass  # the table reached the standby once its replay passed this point
    lags = []
    try:
        for value in range(1, changes + 1):
            await writer.execute("UPDATE lag SET value = $1 WHERE id = 1", value)
            committed = time.perf_counter()
            while await reader.fetchval("SELECT value FROM lag WHERE id = 1") != value:
                pass
            lags.append(time.perf_counter() - committed)
        return lags
    finally:
        await writer.close()
        await reader.close()


async def replay_lag(primary: str) -> str:
    """Return what the primary reports as the standby's replay lag."""
    conn = await asyncpg.connect(primary)
    try:
        return str(await conn.fetchval(
            "SELECT coalesce(replay_lag::text, '0') FROM pg_stat_replication"))
    finally:
        await conn.close()


def main() -> None:
    """Start a private primary and standby, measure, stop them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--ports", type=int, nargs=2, default=(55450, 55451))
    args = parser.parse_args()
    directory = REPO / "var" / "bench" / unique("replica")
    ports = (args.ports[0], args.ports[1])
    replica("start", directory=directory, ports=ports)
    try:
        primary, standby = (f"postgresql://postgres@127.0.0.1:{port}/postgres" for port in ports)
        lags = asyncio.run(commit_to_visible(primary, standby, args.changes))
        reported = asyncio.run(replay_lag(primary))
    finally:
        replica("stop", directory=directory, ports=ports)
    ms = [lag * 1000 for lag in lags]
    load = os.getloadavg()[0]
    report("replica_lag", [
        ("changes committed", f"{len(ms)}"),
        ("commit -> visible on standby p50", f"{percentile(ms, 50):.2f} ms"),
        ("commit -> visible on standby p99", f"{percentile(ms, 99):.2f} ms"),
        ("commit -> visible on standby max", f"{max(ms):.2f} ms"),
        ("pg_stat_replication.replay_lag", reported),
        ("machine load (1 min)", f"{load:.2f}"),
    ], {"lags_ms": ms, "replay_lag": reported, "load": load})


if __name__ == "__main__":
    main()
