"""Helpers shared by the benchmarks: unique resources, timing, percentiles, reporting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from shared.db import drop_database, ensure_database
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate

PG_BASE = os.environ.get("JIANGXIN_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("JIANGXIN_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
RESULTS_DIR = Path("var/bench")


def unique(prefix: str) -> str:
    """Return a resource name no other run uses."""
    return f"{prefix}_{new_id().hex[-10:]}"


async def fresh_database(prefix: str, extra: Sequence[Path] = ()) -> str:
    """Create a migrated database and return its DSN."""
    dsn = f"{PG_BASE}/{unique(prefix)}"
    await ensure_database(dsn)
    await migrate(dsn, [MESSAGING_MIGRATIONS, *extra])
    return dsn


async def remove_database(dsn: str) -> None:
    """Drop a benchmark database."""
    await drop_database(dsn)


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Stopwatch:
    """Measure one interval with perf_counter."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *_exc: object) -> None:
        self.elapsed = time.perf_counter() - self.started


def report(name: str, rows: list[tuple[str, str]], raw: dict[str, Any]) -> None:
    """Print a table and save the raw figures under var/bench/<name>.json."""
    width = max(len(k) for k, _ in rows)
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    print(f"\n== {name} ({platform.node()}, {os.cpu_count()} CPUs, {when})")
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(raw, indent=2, default=str))


def median(values: Sequence[float]) -> float:
    """Return the median."""
    return statistics.median(values)


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str, timeout: float = 60.0) -> None:
    """Wait until a server answers `url` with anything but a 5xx."""
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


def listening_inodes(port: int) -> list[str]:
    """Return the socket inodes listening on this TCP port (one per process with SO_REUSEPORT)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return [f[9] for line in lines
            if (f := line.split())[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port]


def listeners(port: int) -> int:
    """Return how many sockets listen on this TCP port (one per process with SO_REUSEPORT)."""
    return len(listening_inodes(port))


def listening_pid(port: int) -> int | None:
    """Return the process listening on this TCP port, if this user may see its sockets."""
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in wanted for fd in fd_dir.iterdir()):
                return int(fd_dir.parent.name)
    return None


async def wait_listening(port: int, count: int, timeout: float = 60.0) -> None:
    """Wait until `count` processes listen on a shared port (each listens once it is ready)."""
    deadline = time.monotonic() + timeout
    while listeners(port) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} processes did not come up on port {port}")
        await asyncio.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Return the peak resident set size of a live process in MiB (VmHWM, Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid: int) -> float:
    """Return a live process's resident set size now in MiB (VmRSS, Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pg_backends(databases: set[str]) -> list[int]:
    """Return the PostgreSQL server processes serving sessions on these databases."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().decode(errors="replace").split()
        except OSError:
            continue
        if title[:1] == ["postgres:"] and databases.intersection(title):
            found.append(int(cmdline.parent.name))
    return found


def machine_cpu() -> tuple[float, float, float]:
    """Return the whole machine's busy, idle and steal CPU seconds so far (/proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle, steal = ticks[3] + ticks[4], ticks[7]
    return (sum(ticks[:8]) - idle - steal) / hz, idle / hz, steal / hz
