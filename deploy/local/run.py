"""`make run`: the three services and the nginx gateway in the foreground, one log, clean stop.

Each child runs in its own process group, so Ctrl-C reaches only this supervisor, which then
stops every child (SIGTERM, wait, SIGKILL what is left) and leaves no process behind.
`--scale N` runs N processes of every service (the k-th on its port + k * --port-step) behind
the one gateway; `--restart` starts a service process again when it dies instead of stopping.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from deploy import gateway
from services import SERVICE_NAMES

COLOURS = {
    "enrollment": "36",
    "certification": "35",
    "notification": "33",
    "gateway": "32",
    "run": "1",
}
LINE_LIMIT = 1 << 20
RESTART_DELAY_S = 0.5


@dataclass
class Child:
    """One supervised process."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # on top of the supervisor's
    service: str | None = None  # None: the gateway
    process: asyncio.subprocess.Process | None = None
    pump: asyncio.Task[None] | None = field(default=None, repr=False)


class Log:
    """Write each child's lines prefixed by its name, coloured when stdout is a terminal."""

    def __init__(self, names: Sequence[str]) -> None:
        self.width = max(map(len, names))
        self.colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ

    def line(self, name: str, text: str) -> None:
        prefix = f"{name:<{self.width}} |"
        if self.colour:
            colour = COLOURS.get(name.split("-")[0], "0")
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.write(f"{prefix} {text}\n")
            sys.stdout.flush()


def _die_with_supervisor() -> None:
    # Runs in the child before exec: if the supervisor is SIGKILLed, the child gets SIGTERM.
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def _pump(stream: asyncio.StreamReader, name: str, log: Log) -> None:
    while True:
        try:
            raw = await stream.readline()
        except ValueError:  # a line longer than LINE_LIMIT: print it in pieces
            raw = await stream.read(LINE_LIMIT)
        if not raw:
            return
        log.line(name, raw.decode(errors="replace").rstrip("\n"))


def child_environment(env: dict[str, str], child: Child) -> dict[str, str]:
    """Return the environment of one child: no other service's JIANGXIN_<SERVICE>_* settings
    (their database URLs, broker users, key files), so each sees only its own."""
    others = tuple(f"JIANGXIN_{name.upper()}_" for name in SERVICE_NAMES if name != child.service)
    return {k: v for k, v in {**env, **child.env}.items() if not k.startswith(others)}


async def start(child: Child, log: Log, env: dict[str, str]) -> None:
    """Start one child in its own process group with its output going to the log."""
    child.process = await asyncio.create_subprocess_exec(
        *child.argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=child_environment(env, child),
        start_new_session=True,
        preexec_fn=_die_with_supervisor,
        limit=LINE_LIMIT,
    )
    assert child.process.stdout is not None
    child.pump = asyncio.create_task(_pump(child.process.stdout, child.name, log))


def _signal_group(child: Child, signum: int) -> None:
    if child.process is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signum)


async def stop(children: Sequence[Child], log: Log, *, grace_s: float) -> None:
    """SIGTERM every child's process group, wait up to `grace_s`, then SIGKILL the rest."""
    running = [c for c in children if c.process and c.process.returncode is None]
    for child in running:
        _signal_group(child, signal.SIGTERM)
    waits = [c.process.wait() for c in running if c.process]
    if waits:
        _, pending = await asyncio.wait(map(asyncio.ensure_future, waits), timeout=grace_s)
        if pending:
            log.line("run", f"{len(pending)} process(es) did not stop in {grace_s:.0f}s: SIGKILL")
    for child in children:  # the group too: nothing a child started may outlive us
        _signal_group(child, signal.SIGKILL)
        if child.process is not None:
            await child.process.wait()
        if child.pump is not None:
            await child.pump


async def _ready(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url) as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def _all_ready(session: aiohttp.ClientSession, urls: Sequence[str]) -> bool:
    for url in urls:  # in order, stopping at the first not ready: the gateway is asked last
        if not await _ready(session, url):
            return False
    return True


async def wait_ready(urls: dict[str, list[str]], log: Log, *, timeout_s: float) -> bool:
    """Poll each service's /readyz URLs in order (its own port, then through the gateway)
    until all answer 200; say now and then what is still waiting."""
    started = last_report = time.monotonic()
    waiting = dict(urls)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while waiting:
            for name, checks in list(waiting.items()):
                if await _all_ready(session, checks):
                    del waiting[name]
            now = time.monotonic()
            if waiting and now - started > timeout_s:
                log.line("run", f"not ready after {timeout_s:.0f}s: {', '.join(waiting)}")
                return False
            if waiting and now - last_report > 10:
                log.line("run", f"waiting for {', '.join(waiting)} to be ready ...")
                last_report = now
            await asyncio.sleep(0.2)
    return True


def _kill_all(children: Sequence[Child]) -> None:
    for child in children:
        _signal_group(child, signal.SIGKILL)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _banner(base: str, ports: dict[str, list[int]], elapsed: float) -> list[str]:
    lines = [
        f"Jiangxin is ready ({elapsed:.1f}s). Open {base}",
        f"  web front          {base}/",
        f"  dev inbox          {base}/dev/inbox   (sign-in codes, SMS and email)",
    ]
    for name in SERVICE_NAMES:
        lines.append(f"  {name + ' API':<18} {base}/ops/{name}/openapi.json")
    for name, instances in ports.items():
        for port in instances:
            lines.append(
                f"  {name:<18} http://127.0.0.1:{port}  (/readyz /metrics /openapi.json)"
            )
    lines.append("Press Ctrl-C to stop everything.")
    return lines


@dataclass(frozen=True)
class Options:
    """Command-line options of the supervisor."""

    host: str
    port: int
    state_dir: Path
    ready_timeout: float
    grace: float
    scale: int
    port_step: int
    restart: bool


def _arguments(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.run", description=__doc__)
    env = os.environ.get
    parser.add_argument("--host", default=env("JIANGXIN_GATEWAY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("JIANGXIN_GATEWAY_PORT", "8080")))
    parser.add_argument("--state-dir", type=Path, default=Path("var"))
    parser.add_argument("--ready-timeout", type=float, default=90.0)
    parser.add_argument("--grace", type=float, default=30.0, help="seconds before SIGKILL")
    parser.add_argument("--scale", type=int, default=int(env("JIANGXIN_SCALE", "1")),
                        help="processes of every service (default 1)")
    parser.add_argument("--port-step", type=int, default=10,
                        help="the k-th process of a service listens on its port + k * step")
    parser.add_argument("--restart", action="store_true",
                        help="start a service process again when it dies (default: stop all)")
    options = Options(**vars(parser.parse_args(argv)))
    if options.scale < 1:
        parser.error("--scale must be at least 1")
    return options


def _preflight(args: Options, ports: dict[str, list[int]], log: Log) -> str | None:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        log.line("run", "nginx is missing: sudo apt-get install -y nginx (or run make run as root)")
        return None
    busy = [f"{args.host}:{args.port}"] if not _port_free(args.host, args.port) else []
    busy += [
        f"127.0.0.1:{p}" for ps in ports.values() for p in ps if not _port_free("127.0.0.1", p)
    ]
    if busy:
        log.line("run", f"already in use: {', '.join(busy)} (another make run?)")
        return None
    return nginx


def _write_nginx_config(args: Options, ports: dict[str, int], log: Log) -> Path:
    directory = (args.state_dir / "nginx").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    web_root = gateway.web_root()
    config = gateway.local_config(
        state_dir=directory, web_root=web_root, ports=ports, host=args.host, port=args.port,
        scale=args.scale, port_step=args.port_step,
    )
    path = directory / "nginx.conf"
    path.write_text(gateway.render(config), encoding="utf-8")
    inside = web_root.is_relative_to(gateway.REPO)
    shown = web_root.relative_to(gateway.REPO) if inside else web_root
    log.line("run", f"gateway on {args.host}:{args.port} serving {shown}, config {path}")
    return path


def _children(args: Options, ports: dict[str, list[int]], nginx_argv: list[str]) -> list[Child]:
    children = []
    for service, instances in ports.items():
        for k, port in enumerate(instances):
            name = service if len(instances) == 1 else f"{service}-{k + 1}"
            env = {f"JIANGXIN_{service.upper()}_HTTP_PORT": str(port)}
            children.append(
                Child(name, [sys.executable, "-m", f"services.{service}"], env, service)
            )
    children.append(Child("gateway", [*nginx_argv, "-g", "daemon off;"]))
    return children


def _environment(args: Options) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("JIANGXIN_LOG_FORMAT", "console")
    env.setdefault("JIANGXIN_PUBLIC_BASE_URL", f"http://localhost:{args.port}")
    # Only the notification child reads it: locally, sign-in codes are read at /dev/inbox, as
    # long as every message stays in the sink (the service refuses to start the inbox else).
    if _all_in_sink(env):
        env.setdefault("JIANGXIN_NOTIFICATION_DEV_INBOX", "true")
        # Nobody's phone rings: show every message at once, also between 21:00 and 08:00
        # (quiet hours hold non-urgent SMS; they apply again once a real provider is set).
        env.setdefault("JIANGXIN_NOTIFICATION_QUIET_START", "00:00")
        env.setdefault("JIANGXIN_NOTIFICATION_QUIET_END", "00:00")
    # Each service logs in as its own database role and broker user where the set-up made them
    # (var/keys/<service>/database-password, broker-password); see shared/config.py.
    env.setdefault("JIANGXIN_LOCAL_ACCOUNTS", "true")
    # Believe the client address only from our own gateway, which reaches the services over
    # loopback (rate limits, sign-in locks); nobody else's X-Forwarded-For.
    env.setdefault("JIANGXIN_TRUSTED_PROXIES", '["127.0.0.1"]')
    return env


def _all_in_sink(env: dict[str, str]) -> bool:
    """Tell whether the notification child keeps SMS and email in the sink (its default)."""
    def setting(name: str, default: str) -> str:
        return env.get(f"JIANGXIN_NOTIFICATION_{name}", env.get(f"JIANGXIN_{name}", default))

    sms = json.loads(setting("SMS_PROVIDERS", '["sink"]'))
    return bool(sms == ["sink"] and setting("EMAIL_PROVIDER", "sink") == "sink")


def _readiness_urls(args: Options, ports: dict[str, list[int]]) -> dict[str, list[str]]:
    probe = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    return {
        name: [*(f"http://127.0.0.1:{p}/readyz" for p in instances), f"{probe}/ops/{name}/readyz"]
        for name, instances in ports.items()
    }


async def supervise(argv: Sequence[str] | None = None) -> int:
    """Run everything until SIGINT/SIGTERM or until a child dies; return the exit code."""
    args = _arguments(argv)
    base_ports = gateway.configured_ports()
    ports = {
        name: gateway.instance_ports(port, scale=args.scale, step=args.port_step)
        for name, port in base_ports.items()
    }
    log = Log([*(c.name for c in _children(args, ports, [])), "run"])
    nginx = _preflight(args, ports, log)
    if nginx is None:
        return 1
    config = _write_nginx_config(args, base_ports, log)
    nginx_argv = [nginx, "-p", str(config.parent), "-c", str(config), "-e", "stderr"]
    children = _children(args, ports, nginx_argv)
    env = _environment(args)

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    started = time.monotonic()
    for child in children:
        await start(child, log, env)

    base = f"http://localhost:{args.port}"
    exits = {_exit_of(c): c for c in children}
    ready = asyncio.ensure_future(
        wait_ready(_readiness_urls(args, ports), log, timeout_s=args.ready_timeout)
    )
    stop_wait = asyncio.ensure_future(stopping.wait())
    code = 0
    pending: set[asyncio.Future[Any]] = {*exits, ready, stop_wait}
    while not stopping.is_set():
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if ready in done and ready.result():
            for text in _banner(base, ports, time.monotonic() - started):
                log.line("run", text)
        for child in [exits.pop(f) for f in done if f in exits]:
            assert child.process is not None
            log.line("run", f"{child.name} exited with code {child.process.returncode}")
            if args.restart and child.service is not None and not stopping.is_set():
                await _restart(child, log, env)
                future = _exit_of(child)
                exits[future] = child
                pending.add(future)
            else:
                code = 1
                stopping.set()
    for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C kills at once
        loop.add_signal_handler(signum, _kill_all, children)
    log.line("run", "stopping ...")
    for future in pending:
        future.cancel()
    await stop(children, log, grace_s=args.grace)
    log.line("run", "stopped")
    return code


def _exit_of(child: Child) -> asyncio.Future[int]:
    assert child.process is not None
    return asyncio.ensure_future(child.process.wait())


async def _restart(child: Child, log: Log, env: dict[str, str]) -> None:
    """Start a dead service process again, once its last output is printed."""
    _signal_group(child, signal.SIGKILL)  # anything it started goes with it
    if child.pump is not None:
        await child.pump
    await asyncio.sleep(RESTART_DELAY_S)  # a process that dies at once must not spin
    log.line("run", f"restarting {child.name}")
    await start(child, log, env)


def main() -> None:
    """Run the supervisor."""
    sys.exit(asyncio.run(supervise()))


if __name__ == "__main__":
    main()
