"""Stop, start and disturb the PostgreSQL and RabbitMQ servers the tests use.

By default these are the machine's servers (`rabbit@localhost`, cluster `main`). Set
JIANGXIN_TEST_RABBIT_NODE / JIANGXIN_TEST_PG_CLUSTER (with JIANGXIN_TEST_AMQP / JIANGXIN_TEST_PG)
to aim fault tests at a private node and cluster instead. Every context manager here brings the
server back, even when the test body fails.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

RABBIT_NODE = os.environ.get("JIANGXIN_TEST_RABBIT_NODE", "")
PG_CLUSTER = os.environ.get("JIANGXIN_TEST_PG_CLUSTER", "main")


async def _run(*argv: str, check: bool = True, timeout: float = 120) -> str:
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    text = out.decode(errors="replace")
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {text[-2000:]}")
    return text


def rabbitmqctl_args(*args: str) -> list[str]:
    """Return a rabbitmqctl command line aimed at the test node."""
    node = ["-n", RABBIT_NODE] if RABBIT_NODE else []
    return ["rabbitmqctl", *node, *args]


async def rabbitmqctl(*args: str, check: bool = True) -> str:
    """Run rabbitmqctl against the test node."""
    return await _run(*rabbitmqctl_args(*args), check=check)


async def broker_start() -> None:
    """Start the broker application and wait until it serves."""
    await rabbitmqctl("start_app")
    await rabbitmqctl("await_startup")


@asynccontextmanager
async def broker_stopped() -> AsyncIterator[None]:
    """Stop the broker application for the duration of the block."""
    await rabbitmqctl("stop_app")
    try:
        yield
    finally:
        await broker_start()


async def close_all_connections(reason: str = "test: forced close") -> None:
    """Force-close every client connection of the test node."""
    await rabbitmqctl("close_all_connections", reason)


def _pg_version() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]


async def pg_ctl(action: str) -> None:
    """Run pg_ctlcluster <action> on the test cluster (fast shutdown for stop/restart)."""
    mode = ["-m", "fast"] if action in {"stop", "restart"} else []
    version = _pg_version()
    await _run("pg_ctlcluster", "--skip-systemctl-redirect", version, PG_CLUSTER, action, *mode)


@asynccontextmanager
async def database_stopped() -> AsyncIterator[None]:
    """Stop the PostgreSQL cluster for the duration of the block."""
    await pg_ctl("stop")
    try:
        yield
    finally:
        await pg_ctl("start")


async def ensure_servers_running() -> None:
    """Start the test node and cluster if a previous test left them down."""
    status = await _run(*rabbitmqctl_args("status"), check=False)
    if "Uptime" not in status or "is not running" in status:
        await _run(*rabbitmqctl_args("start_app"), check=False)
        await rabbitmqctl("await_startup")
    clusters = await _run("pg_lsclusters", check=False)
    for line in clusters.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == PG_CLUSTER and fields[3] != "online":
            await pg_ctl("start")
