"""The pipeline benchmark's processes: the three services as `make run` starts them (one process
each, own databases, broker namespace and keys), the raw chain beside them, and their data."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import asyncpg

from bench.common import AMQP_URL, PG_BASE, free_port, unique, wait_listening, wait_up
from bench.enrollment_bench import insert_trainees
from services import SERVICE_NAMES
from services.cli import services
from shared.auth import TokenIssuer
from shared.service import topology_for

REPO = Path(__file__).resolve().parent.parent
CLASSES = 64


@dataclass
class Processes:
    """Every child process of the run, by name, with its log file in the work directory."""

    workdir: Path
    children: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    log_marks: dict[str, int] = field(default_factory=dict)

    async def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        """Start one child with its output going to <workdir>/<name>.log."""
        with self._log(name).open("wb") as log:
            self.children[name] = await asyncio.create_subprocess_exec(
                sys.executable, *argv, env=env, cwd=self.workdir, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=asyncio.subprocess.STDOUT)

    def mark_logs(self) -> None:
        """Remember where each child's log ends now (start-up lines are not complaints)."""
        self.log_marks = {name: self._log(name).stat().st_size for name in self.children}

    def complaints(self) -> dict[str, list[str]]:
        """Return each child's log lines since mark_logs that are not JSON at level info or
        debug."""
        found = {}
        for name in self.children:
            with self._log(name).open("rb") as log:
                log.seek(self.log_marks.get(name, 0))
                lines = log.read().decode(errors="replace").splitlines()
            found[name] = [line for line in lines if not _quiet(line)]
        return found

    def _log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def pids(self, names: tuple[str, ...]) -> dict[str, int]:
        """Return the pids of the named children."""
        return {name: self.children[name].pid for name in names}

    async def stop(self) -> None:
        """SIGTERM every child, then SIGKILL what is still running after 30 s."""
        running = [p for p in self.children.values() if p.returncode is None]
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def _quiet(line: str) -> bool:
    try:
        return bool(json.loads(line).get("level") in ("debug", "info"))
    except (ValueError, AttributeError):
        return False


def platform_env(namespace: str, dsns: dict[str, str], ports: dict[str, int], *,
                 log_level: str, root: Path = REPO) -> dict[str, str]:
    """Return the services' environment: deployed defaults, the sink, no quiet hours."""
    values = {
        "NAMESPACE": namespace, "AMQP_URL": AMQP_URL, "LOG_LEVEL": log_level,
        "LOG_FORMAT": "json", "NOTIFICATION_SMS_PROVIDERS": '["sink"]',
        "NOTIFICATION_EMAIL_PROVIDER": "sink",
        # Every SMS goes out at once whatever the hour of the run.
        "QUIET_START": "00:00", "QUIET_END": "00:00",
        **{f"{n.upper()}_DATABASE_URL": dsn for n, dsn in dsns.items()},
        **{f"{n.upper()}_HTTP_PORT": str(port) for n, port in ports.items()},
    }
    return {**os.environ, "PYTHONPATH": str(root),
            **{f"JIANGXIN_{k}": v for k, v in values.items()}}


async def start_platform(procs: Processes, namespace: str, dsns: dict[str, str], *,
                         log_level: str, root: Path = REPO) -> dict[str, int]:
    """Start one process of each service (they migrate their databases) from the checkout at
    `root`; wait until ready."""
    ports = {name: free_port() for name in SERVICE_NAMES}
    env = platform_env(namespace, dsns, ports, log_level=log_level, root=root)
    for name in SERVICE_NAMES:
        await procs.start(name, ["-m", f"services.{name}"], env)
    for port in ports.values():
        await wait_up(f"http://127.0.0.1:{port}/readyz", timeout=120)
    return ports


async def start_raw(procs: Processes, dsn: str, sms_dsn: str, queue: str) -> int:
    """Declare the raw queue, start the bare enrol+relay and consumer processes; return the port."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    await procs.start("raw-enrol", ["-m", "bench.pipeline_raw", "enrol", str(port), dsn, queue],
                      env)
    await procs.start("raw-consume", ["-m", "bench.pipeline_raw", "consume", sms_dsn, queue],
                      env)
    await wait_listening(port, 1)
    return port


async def delete_broker_objects(namespace: str, queues: list[str]) -> None:
    """Delete every queue the services declared in this namespace, the raw ones and the
    exchange."""
    names = list(queues)
    for info in services().values():
        settings = info.settings(namespace=namespace)
        names += topology_for(settings, info.subscriptions).all_queues
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        for name in names:
            channel = await connection.channel()
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(name)
        channel = await connection.channel()
        await channel.exchange_delete(f"{namespace}.events")


def service_dsns() -> dict[str, str]:
    """Return a fresh database URL per service (the services create and migrate them)."""
    prefix = unique("jx_bench_pipe")
    return {name: f"{PG_BASE}/{prefix}_{name}" for name in SERVICE_NAMES}


async def copy_classes(source: asyncpg.Pool, target: asyncpg.Pool) -> None:
    """Copy the course and classes rows into the raw chain's database."""
    for table in ("courses", "classes"):
        records = await source.fetch(f"SELECT * FROM {table}")
        await target.copy_records_to_table(table, records=[tuple(r) for r in records],
                                           columns=list(records[0].keys()))


@dataclass
class Trainees:
    """Load lines (credential and class, as bench/enrollment_load.py reads them) and the key
    each one's SMS carries (the phone on the platform, the trainee id on the raw chain)."""

    lines: list[str]
    keys: list[str]

    def take(self, count: int) -> Trainees:
        """Remove and return the next `count` trainees (each enrols once)."""
        taken = Trainees(self.lines[:count], self.keys[:count])
        del self.lines[:count], self.keys[:count]
        return taken


async def platform_trainees(pool: asyncpg.Pool, issuer: TokenIssuer, classes: list[str],
                            count: int) -> Trainees:
    """Insert signed-up trainees; return a token line and a phone for each."""
    ids = await insert_trainees(pool, count, 0)
    lines = [f"{issuer.mint(t, 'trainee', name='学员', ttl_s=7200)} {classes[k % len(classes)]}"
             for k, t in enumerate(ids)]
    return Trainees(lines, [f"+86139{k:08d}" for k in range(count)])


async def raw_trainees(pool: asyncpg.Pool, classes: list[str], count: int) -> Trainees:
    """Insert trainees into the raw chain's database; return a line and an id for each."""
    ids = await insert_trainees(pool, count, 0)
    return Trainees([f"{t} {classes[k % len(classes)]}" for k, t in enumerate(ids)],
                    [str(t) for t in ids])
