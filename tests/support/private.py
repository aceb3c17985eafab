"""The private PostgreSQL cluster and RabbitMQ node of `make test-long` (never the shared ones).

deploy/local/private-servers.sh starts, stops and disturbs them; tests reach them through the
JIANGXIN_* settings it prints.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from deploy.gateway import REPO

SCRIPT = REPO / "deploy" / "local" / "private-servers.sh"
PRIVATE_DIR = REPO / "var" / "private"


async def private_servers(*args: str) -> str:
    """Run the script (start, stop, rabbit-stop, pg-restart, ...); return what it printed."""
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT), *args, cwd=REPO,
        env={**os.environ, "JIANGXIN_PRIVATE_DIR": str(PRIVATE_DIR)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 300)
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"private-servers.sh {' '.join(args)} failed: {text[-2000:]}")
    return text


@dataclass(frozen=True)
class PrivateServers:
    """Where the private servers listen."""

    pg_base: str  # postgresql://postgres@127.0.0.1:<port>, no database
    amqp_url: str

    def database_urls(self, prefix: str, services: tuple[str, ...]) -> dict[str, str]:
        """Return one database URL per service, named `<prefix>_<service>`."""
        return {name: f"{self.pg_base}/{prefix}_{name}" for name in services}


async def start_private_servers() -> PrivateServers:
    """Start both servers (a no-op for those running) and say where they are."""
    await private_servers("start")
    env = dict(
        line.split("=", 1) for line in (await private_servers("env")).splitlines() if "=" in line
    )
    return PrivateServers(pg_base=env["JIANGXIN_TEST_PG"], amqp_url=env["JIANGXIN_AMQP_URL"])
