"""The whole platform started as `make run` starts it (deploy/local/run.py), but private.

Each start gets free ports, its own databases and broker namespace, and a scratch working
directory with its own keys, so browser tests never meet a developer's `make run`.
`python -m tests.browser.platform` starts one by hand and prints its address (Ctrl-C stops it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services import SERVICE_NAMES
from shared.ids import new_id
from tests.support.infra import PG_BASE, delete_queues, drop_database, list_queues, owned_prefix
from tests.support.log_guard import process_log, record_output, remember_delivered

REPO = Path(__file__).resolve().parents[2]
READY_LINE = "Jiangxin is ready"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Platform:
    """A running supervisor with the three services and the nginx gateway."""

    workdir: Path
    namespace: str
    gateway_port: int
    ports: dict[str, int]
    databases: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the one origin's address."""
        return f"http://localhost:{self.gateway_port}"

    @property
    def env(self) -> dict[str, str]:
        """Return the environment of the supervisor (and of CLI calls against this platform)."""
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "NO_COLOR": "1",
            "JIANGXIN_GATEWAY_PORT": str(self.gateway_port),
            "JIANGXIN_NAMESPACE": self.namespace,
            "JIANGXIN_PUBLIC_BASE_URL": self.base_url,
            "JIANGXIN_LOG_LEVEL": "INFO",
            **{f"JIANGXIN_{n.upper()}_HTTP_PORT": str(p) for n, p in self.ports.items()},
            **{f"JIANGXIN_{n.upper()}_DATABASE_URL": u for n, u in self.databases.items()},
        }

    def log_tail(self, lines: int = 60) -> str:
        """Return the last lines the platform printed."""
        return "\n".join(self.lines[-lines:])

    def cli(self, *args: str) -> str:
        """Run a `jiangxin` command against this platform's databases; return its output."""
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120,
            check=False,
        )
        record_output(f"jiangxin-{args[0]}", done.stderr)  # its log; stdout is the answer
        if done.returncode != 0:
            raise AssertionError(f"jiangxin {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def start(self, *, ready_within_s: float = 150.0) -> None:
        """Start the supervisor and wait until it says every service is ready."""
        self.cli("keys", "--dir", str(self.workdir / "var" / "keys"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deploy.local.run", "--state-dir", str(self.workdir / "var"),
             "--grace", "20"],
            cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        # The reader sets this on the ready line, or when the output ends (the supervisor died).
        settled = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(settled,), daemon=True)
        self._reader.start()
        if not settled.wait(ready_within_s):
            raise AssertionError(
                f"platform not ready in {ready_within_s:.0f}s:\n{self.log_tail()}"
            )
        if not any(READY_LINE in line for line in self.lines):
            raise AssertionError(f"make run's supervisor exited:\n{self.log_tail()}")

    def _read(self, settled: threading.Event) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        with process_log("make-run") as log:
            for raw in self.process.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines.append(line)
                log.write(line + "\n")
                if READY_LINE in line:
                    settled.set()
        settled.set()

    def stop(self) -> None:
        """Stop it like Ctrl-C does, then drop its databases and queues."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        # A thread of its own: the caller's thread may already run an event loop (pytest-asyncio).
        cleaner = threading.Thread(target=asyncio.run, args=(self._clean(),))
        cleaner.start()
        cleaner.join()

    async def _clean(self) -> None:
        await remember_delivered(self.databases["notification"])
        for url in self.databases.values():
            await drop_database(url)
        await delete_queues(await list_queues(self.namespace + "."),
                            exchange=f"{self.namespace}.events")


def new_platform(workdir: Path, *, prefix: str = "jxweb") -> Platform:
    """Describe a platform with free ports, fresh database names and a new namespace."""
    tag = new_id().hex[-10:]
    return Platform(
        workdir=workdir,
        namespace=f"{owned_prefix('web')}-{tag}",
        gateway_port=free_port(),
        ports={name: free_port() for name in SERVICE_NAMES},
        databases={name: f"{PG_BASE}/{prefix}_{tag}_{name}" for name in SERVICE_NAMES},
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Start a private platform for poking at by hand; print its address."""
    del argv

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Stop cleanly on Ctrl-C and on SIGTERM, also when started in the background (where a
    # shell leaves SIGINT ignored).
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    with tempfile.TemporaryDirectory(prefix="jxweb-") as scratch:
        platform = new_platform(Path(scratch))
        try:
            platform.start()
            print(f"platform ready at {platform.base_url}; Ctrl-C stops it")
            print(f"to run jiangxin commands against it (e.g. seed-demo), cd {scratch} and set:")
            for name, value in sorted(platform.env.items()):
                if name.startswith("JIANGXIN_") or name == "PYTHONPATH":
                    print(f"  export {name}={value}")
            if platform.process is not None:
                platform.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            platform.stop()
            print(platform.log_tail(10))


if __name__ == "__main__":
    main()
