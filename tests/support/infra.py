"""Create and drop unique databases and broker namespaces on the real servers."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import aio_pika
import asyncpg

from shared.db import drop_database
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate, migration_files
from tests.deploy.manifests import process_alive

PG_BASE = os.environ.get("JIANGXIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
TEMPLATE_PREFIX = "jx_template_"
AMQP_URL = os.environ.get("JIANGXIN_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")


def unique_name(prefix: str) -> str:
    """Return a name no other test run uses."""
    return f"{prefix}_{new_id().hex[-12:]}"


async def create_database(prefix: str, migration_dirs: list[Path] | None = None) -> str:
    """Create a fresh database with the messaging tables (and more migrations); return its DSN.

    It is cloned from a template database migrated once with exactly those files, which is
    quicker than migrating every test's database."""
    template = await migrated_template([MESSAGING_MIGRATIONS, *(migration_dirs or [])])
    name = unique_name(prefix)
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return f"{PG_BASE}/{name}"


_TEMPLATES: dict[str, str] = {}
REPO = Path(__file__).resolve().parents[2]


def service_migrations(service: str) -> Path:
    """The directory of a service's own migrations."""
    return REPO / "services" / service / "migrations"


async def migrated_template(directories: list[Path]) -> str:
    """Return the name of a database migrated with `directories`, creating it once.

    The name carries a hash of every migration file, so a changed or added migration makes a
    new template; old ones stay until `drop_templates` (the set-up of `make test` runs it).
    Concurrent test processes build each template once, under an advisory lock."""
    digest = hashlib.sha256()
    for name, path in migration_files(directories):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    template = f"{TEMPLATE_PREFIX}{digest.hexdigest()[:16]}"
    if template in _TEMPLATES:
        return template
    conn = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", template)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", template):
                building = unique_name("jx_building")
                await conn.execute(f'CREATE DATABASE "{building}"')
                await migrate(f"{PG_BASE}/{building}", directories)
                await conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", template)
    finally:
        await conn.close()
    _TEMPLATES[template] = template
    return template


def owned_prefix(kind: str) -> str:
    """Return a new broker namespace prefix that names this process (`jx<kind><pid>p<tag>`).

    A run that crashed or was killed leaves its queues behind, and quorum queues hold broker
    file handles: enough of them and RabbitMQ stops accepting connections. The pid in the
    name lets a later run tell such leftovers from the queues of a run still going."""
    return f"jx{kind}{os.getpid()}p{new_id().hex[-4:]}"


_OWNED = re.compile(r"^jx[a-z]+(\d+)p[0-9a-f]{4}-")


def owner_gone(queue: str) -> bool:
    """Tell whether a queue was declared by a test process that no longer runs."""
    match = _OWNED.match(queue)
    return match is not None and not process_alive(int(match.group(1)))


async def delete_leftover_queues() -> int:
    """Delete the queues of test runs whose process is gone; return how many."""
    stale = [name for name in await list_queues("jx") if owner_gone(name)]
    await delete_queues(stale)
    return len(stale)


async def delete_queues(names: Iterable[str], exchange: str | None = None) -> None:
    """Delete queues (and an exchange) over AMQP; quick, unlike a rabbitmqctl round trip.

    Bounded in time: a broker that stopped answering fails the test instead of hanging it."""
    async with asyncio.timeout(60):
        await _delete_queues(names, exchange)


async def _delete_queues(names: Iterable[str], exchange: str | None) -> None:
    connection = await aio_pika.connect(AMQP_URL, timeout=15)
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
        *rabbitmqctl_args("list_queues", "name", "--quiet", "--no-table-headers",
                          "--timeout", "60"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with asyncio.timeout(90):
            out, _ = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("rabbitmqctl list_queues did not answer within 90 s") from None
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
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "condition",
    at_least_s: float = 0.0,
) -> None:
    """Poll `check` until it is true (and at least `at_least_s` have passed); fail with a
    clear message, naming `what`, at the deadline."""
    began = time.monotonic()
    deadline = began + timeout
    while True:
        if await check() and time.monotonic() - began >= at_least_s:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
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
