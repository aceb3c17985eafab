"""Create and drop unique databases and broker namespaces on the real servers."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import aio_pika

from shared.db import drop_database, ensure_database
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate

PG_BASE = os.environ.get("JIANGXIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
AMQP_URL = os.environ.get("JIANGXIN_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")


def unique_name(prefix: str) -> str:
    """Return a name no other test run uses."""
    return f"{prefix}_{new_id().hex[-12:]}"


async def create_database(prefix: str, migration_dirs: list[Path] | None = None) -> str:
    """Create a fresh database with the messaging tables (and more migrations); return its DSN."""
    dsn = f"{PG_BASE}/{unique_name(prefix)}"
    await ensure_database(dsn)
    await migrate(dsn, [MESSAGING_MIGRATIONS, *(migration_dirs or [])])
    return dsn


async def delete_queues(names: Iterable[str], exchange: str | None = None) -> None:
    """Delete queues (and an exchange) over AMQP; quick, unlike a rabbitmqctl round trip."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        for name in names:
            channel = await connection.channel()
            await channel.queue_delete(name)
            await channel.close()
        if exchange:
            channel = await connection.channel()
            await channel.exchange_delete(exchange)


async def list_queues(prefix: str) -> list[str]:
    """Return the names of every queue on the test broker starting with `prefix`."""
    from tests.support.faults import rabbitmqctl_args

    proc = await asyncio.create_subprocess_exec(
        *rabbitmqctl_args("list_queues", "name", "--quiet", "--no-table-headers"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await proc.communicate()
    return [n for n in out.decode().split() if n.startswith(prefix)]


def free_ports(count: int, low: int, high: int) -> list[int]:
    """Return `count` ports in [low, high) that nothing listens on right now."""
    found: list[int] = []
    for port in random.sample(range(low, high), high - low):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise AssertionError(f"fewer than {count} free ports in {low}-{high}")


def eventually_sync(
    check: Callable[[], bool], *, timeout: float = 15.0, interval: float = 0.05
) -> None:
    """`eventually` for code without an event loop (threads, subprocess helpers)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 15.0, interval: float = 0.05
) -> None:
    """Poll `check` until it is true; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


__all__ = [
    "AMQP_URL",
    "PG_BASE",
    "create_database",
    "delete_queues",
    "drop_database",
    "eventually",
    "free_ports",
    "list_queues",
    "unique_name",
]
