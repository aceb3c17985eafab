"""Start the platform as `make run` starts it, isolated: free ports, own databases and keys.

Each run gets free ports, its own databases and broker namespace, and a scratch working
directory with its own keys, so it never meets another run (or a developer's `make run`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services import SERVICE_NAMES
from tests.deploy.manifests import REPO, free_port, nginx_binary, process_alive
from tests.support.infra import PG_BASE, drop_database, unique_name
from tests.support.log_guard import process_log, remember_delivered

READY_LINE = "Jiangxin is ready"
PORT_STEP = 10  # deploy/local/run.py's default --port-step


@dataclass
class Run:
    """A supervisor started as `make run` starts it, and everything it printed."""

    process: asyncio.subprocess.Process
    gateway_port: int
    ports: dict[str, int]
    lines: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None
    env: dict[str, str] = field(default_factory=dict)

    async def wait_for_line(self, text: str, *, within_s: float = 90.0) -> None:
        deadline = time.monotonic() + within_s
        while not any(text in line for line in self.lines):
            assert self.reader is not None
            assert not self.reader.done(), "supervisor exited:\n" + "\n".join(self.lines[-40:])
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "\n".join(self.lines[-40:])
            await asyncio.sleep(0.1)

    async def stop_if_running(self, namespace: str, workdir: Path) -> None:
        """After a failure: stop the run the way Ctrl-C does, and leave no process behind."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await self.finish(within_s=60)
            except TimeoutError:
                self.process.kill()
                await self.finish()
        for line in leftovers(namespace, workdir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)

    async def finish(self, *, within_s: float = 60.0) -> int:
        code = await asyncio.wait_for(self.process.wait(), within_s)
        if self.reader is not None:
            await self.reader
        return code


def port_free(port: int) -> bool:
    """Tell whether nothing listens on a loopback port."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def instance_pid(run: Run, service: str, port: int) -> int:
    """Return the pid of the process of `service` that the supervisor started on `port`."""
    wanted = f"JIANGXIN_{service.upper()}_HTTP_PORT={port}".encode()
    for pid in descendants(run.process.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"services.{service}".encode() in cmdline and wanted in environ.split(b"\0"):
            return pid
    raise AssertionError(f"no {service} process on {port}")


def descendants(pid: int) -> set[int]:
    """Return every process below `pid` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def leftovers(namespace: str, workdir: Path) -> list[str]:
    """Return the processes a run may have left: services by their environment, nginx by its
    command line."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if not process_alive(int(proc.name)):
            continue
        ours = f"JIANGXIN_NAMESPACE={namespace}".encode() in environ
        if ours or str(workdir).encode() in cmdline:
            found.append(f"{proc.name}: {cmdline.decode(errors='replace')}")
    return found


@pytest.fixture
async def databases() -> AsyncIterator[dict[str, str]]:
    """One fresh database URL per service; dropped afterwards."""
    prefix = unique_name("jx_run")
    urls = {name: f"{PG_BASE}/{prefix}_{name}" for name in SERVICE_NAMES}
    yield urls
    await remember_delivered(urls["notification"])
    for url in urls.values():
        await drop_database(url)


def free_base_port(scale: int, step: int = PORT_STEP) -> int:
    """Return a port free now, with the ports of the service's other processes free too."""
    while True:
        port = free_port()
        if port + step * (scale - 1) < 65536 and all(
            port_free(port + step * k) for k in range(1, scale)
        ):
            return port


async def start_run(
    workdir: Path, namespace: str, databases: dict[str, str], *, scale: int = 1,
    args: Sequence[str] = (), **extra_env: str,
) -> Run:
    """Start `python -m deploy.local.run` in a scratch directory with keys of its own
    (`scale` processes of every service; `args` more supervisor options)."""
    nginx_binary()
    keys = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "keys",
        "--dir",
        str(workdir / "var" / "keys"),
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await keys.wait() == 0
    ports = {name: free_base_port(scale) for name in SERVICE_NAMES}
    gateway_port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "JIANGXIN_GATEWAY_PORT": str(gateway_port),
        "JIANGXIN_NAMESPACE": namespace,
        "JIANGXIN_LOG_LEVEL": "INFO",
        # No quiet hours (start = end) unless a test asks for them: a run at 22:00 in Shanghai
        # must not hold every SMS until the morning (quiet hours have tests of their own).
        "JIANGXIN_NOTIFICATION_QUIET_START": "00:00",
        "JIANGXIN_NOTIFICATION_QUIET_END": "00:00",
        **{f"JIANGXIN_{n.upper()}_HTTP_PORT": str(p) for n, p in ports.items()},
        **{f"JIANGXIN_{n.upper()}_DATABASE_URL": url for n, url in databases.items()},
        **extra_env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deploy.local.run",
        "--state-dir",
        str(workdir / "var"),
        "--grace",
        "20",
        "--scale",
        str(scale),
        *args,
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # like a terminal: the signal goes to the supervisor only
    )
    run = Run(process, gateway_port, ports, env=env)

    async def read() -> None:
        assert process.stdout is not None
        with process_log("make-run") as log:
            async for raw in process.stdout:
                run.lines.append(raw.decode(errors="replace").rstrip("\n"))
                log.write(run.lines[-1] + "\n")

    run.reader = asyncio.create_task(read())
    return run
