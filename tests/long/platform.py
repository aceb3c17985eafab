"""The platform of the long tests: `make run SCALE=2 --restart` on the private servers.

Every test gets its own databases (on the private cluster) and broker namespace (on the private
node), and reaches the platform only through its gateway. What the platform printed is kept in
var/long-logs/<test>.log. Quiet hours are switched off (start
= end) so a run behaves the same at any hour, and the overall sign-in code ceiling is raised
so ten thousand people can sign in within minutes; everything else is as configured by default.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from services import SERVICE_NAMES
from tests.support.http import PlatformClient, admin_token, cli, ledger_check
from tests.support.infra import eventually, unique_name
from tests.support.platform import PORT_STEP, READY_LINE, Run, instance_pid, start_run
from tests.support.private import PRIVATE_DIR, PrivateServers

SCALE = 2
LOGS = PRIVATE_DIR.parent / "long-logs"  # every line the platform printed, one file per test
SETTINGS = {
    "JIANGXIN_QUIET_START": "00:00",
    "JIANGXIN_QUIET_END": "00:00",
    "JIANGXIN_ENROLLMENT_OTP_GLOBAL_PER_MINUTE": "100000",
    "JIANGXIN_ENROLLMENT_OTP_PER_PREFIX_PER_HOUR": "100000",  # the crowd's numbers are a block
}


@dataclass
class LongPlatform:
    """A running platform and how to reach, check and hurt it."""

    run: Run
    workdir: Path
    api: PlatformClient
    admin: str

    @property
    def base(self) -> str:
        """Return the gateway's address."""
        return self.api.base

    def instances(self) -> list[tuple[str, int]]:
        """Return (service, port) of every service process."""
        return [
            (name, self.run.ports[name] + k * PORT_STEP)
            for name in SERVICE_NAMES for k in range(SCALE)
        ]

    async def ready(self) -> bool:
        """Tell whether every process answers /readyz with 200."""
        for _, port in self.instances():
            try:
                async with self.api.http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                    if resp.status != 200:
                        return False
            except aiohttp.ClientError:
                return False
        return True

    async def kill(self, service: str, port: int) -> None:
        """SIGKILL one service process; the supervisor starts it again."""
        os.kill(instance_pid(self.run, service, port), signal.SIGKILL)

    async def ledger(self, *, older_than: float = 0) -> tuple[int, dict[str, Any]]:
        """Run `jiangxin ledger check --json` against this platform."""
        return await ledger_check(self.workdir, self.run.env, older_than=older_than)

    async def balanced(
        self, *, older_than: float | Callable[[], float] = 0, within_s: float = 600,
        also: Callable[[dict[str, Any]], bool] = lambda _: True,
        tolerate: Callable[[dict[str, Any]], bool] = lambda _: False,
    ) -> tuple[float, dict[str, Any], dict[str, Any]]:
        """Check until the ledger balances (and `also` holds); return the seconds it took, the
        first report and the balanced one. Fail with the last report at the deadline.
        `older_than` may be a function, asked before each check; discrepancies `tolerate`
        accepts (a documented limit the test records) do not count."""
        started = time.monotonic()
        reports: list[dict[str, Any]] = []

        async def check() -> bool:
            cut = older_than() if callable(older_than) else older_than
            _, report = await self.ledger(older_than=cut)
            reports.append(report)
            return all(tolerate(d) for d in report["discrepancies"]) and also(report)

        try:
            await eventually(check, timeout=within_s, interval=2.0)
        except AssertionError:
            raise AssertionError(json.dumps(reports[-1], indent=2)[:20_000]) from None
        return time.monotonic() - started, reports[0], reports[-1]

    async def drained(
        self, since: float, *, within_s: float = 900,
        tolerate: Callable[[dict[str, Any]], bool] = lambda _: False,
        may_wait: Callable[[], Awaitable[int]] | None = None,
    ) -> tuple[float, dict[str, Any], dict[str, Any]]:
        """Wait until everything owed at `since` (monotonic) balances with nothing of it still
        on its way (but for `may_wait()` messages, a documented limit the caller counts);
        return the seconds from `since`, the first report and the last."""
        reports: list[dict[str, Any]] = []

        async def check() -> bool:
            _, report = await self.ledger(older_than=time.monotonic() - since)
            reports.append(report)
            waiting = sum(n for k, n in report["counts"].items() if k.endswith("in_flight"))
            allowed = await may_wait() if may_wait else 0
            return all(tolerate(d) for d in report["discrepancies"]) and waiting <= allowed

        try:
            await eventually(check, timeout=within_s, interval=2.0)
        except AssertionError:
            raise AssertionError(json.dumps(reports[-1], indent=2)[:20_000]) from None
        return time.monotonic() - since, reports[0], reports[-1]


@asynccontextmanager
async def long_platform(
    workdir: Path, servers: PrivateServers, **settings: str
) -> AsyncIterator[LongPlatform]:
    """Start the platform on the private servers; stop it (and everything it started) after."""
    namespace = unique_name("jxlong").replace("_", "-")
    env = {**os.environ, **SETTINGS, **settings, "JIANGXIN_NAMESPACE": namespace,
           "JIANGXIN_AMQP_URL": servers.amqp_url}
    databases = servers.database_urls(namespace.replace("-", "_"), SERVICE_NAMES)
    env.update({f"JIANGXIN_{n.upper()}_DATABASE_URL": url for n, url in databases.items()})
    for command in ("migrate", "topology"):  # as `make run` sets up before it starts
        code, out = await cli(workdir, env, command)
        assert code == 0, out
    run = await start_run(workdir, namespace, databases, scale=SCALE, args=["--restart"],
                          **{k: v for k, v in env.items() if k.startswith("JIANGXIN_")})
    try:
        await run.wait_for_line(READY_LINE, within_s=180)
        connector = aiohttp.TCPConnector(limit=50)
        async with aiohttp.ClientSession(connector=connector) as http:
            api = PlatformClient(http, f"http://127.0.0.1:{run.gateway_port}")
            yield LongPlatform(run, workdir, api, admin_token(workdir / "var" / "keys"))
    finally:
        await run.stop_if_running(namespace, workdir)
        LOGS.mkdir(parents=True, exist_ok=True)
        (LOGS / f"{workdir.name}.log").write_text("\n".join(run.lines) + "\n", encoding="utf-8")


async def wait_ready(platform: LongPlatform, *, within_s: float = 120) -> float:
    """Wait until every process is ready; return the seconds it took."""
    started = time.monotonic()
    await eventually(platform.ready, timeout=within_s, interval=0.25)
    return time.monotonic() - started


async def until(check: Callable[[], bool], *, within_s: float) -> float:
    """Wait for a condition of the test's own state; return the seconds it took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within_s, f"not within {within_s}s"
        await asyncio.sleep(0.25)
    return time.monotonic() - started


def found(report: dict[str, Any]) -> str:
    """Summarise what a ledger check found, in one line."""
    if report["ok"]:
        counts = report["counts"]
        return (f"balances ({counts.get('enrolment messages sent', 0)} enrolment and "
                f"{counts.get('certificate messages sent', 0)} certificate messages sent)")
    kinds: dict[str, int] = {}
    for d in report["discrepancies"]:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
