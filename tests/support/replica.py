"""A private PostgreSQL primary and streaming standby (deploy/local/pg-replica.sh) for one run.

Ports and directories are the run's own; the machine's PostgreSQL (5432) is never touched.
Tests stop and restart this primary at will.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.gateway import REPO
from shared.ids import new_id
from tests.support.infra import free_ports

SCRIPT = REPO / "deploy" / "local" / "pg-replica.sh"
# Under /tmp, not the checkout: the servers run as the postgres user, who may not reach a
# checkout in a private home directory.
REPLICAS_DIR = Path(tempfile.gettempdir()) / "jiangxin-test-replicas"


@dataclass(frozen=True)
class PgReplica:
    """A running primary and standby, and the script commands that disturb them."""

    directory: str
    primary_port: int
    standby_port: int

    @property
    def primary(self) -> str:
        """Return the primary's URL without a database."""
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}"

    @property
    def standby(self) -> str:
        """Return the standby's URL without a database."""
        return f"postgresql://postgres@127.0.0.1:{self.standby_port}"

    def run(self, *args: str, timeout: float = 120) -> str:
        """Run the script (start, stop, stop-primary, ...) and return its output."""
        env = {**os.environ, "JIANGXIN_PG_REPLICA_DIR": self.directory,
               "JIANGXIN_PG_PRIMARY_PORT": str(self.primary_port),
               "JIANGXIN_PG_STANDBY_PORT": str(self.standby_port)}
        done = subprocess.run([str(SCRIPT), *args], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pg-replica.sh {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    async def arun(self, *args: str) -> str:
        """Run the script without blocking the event loop."""
        return await asyncio.to_thread(self.run, *args)


@contextmanager
def pg_replica() -> Iterator[PgReplica]:
    """Start a primary and its standby; stop both and delete their data afterwards."""
    primary, standby = free_ports(2, 22000, 27000)  # below the ephemeral ports, as the cluster's
    replica = PgReplica(str(REPLICAS_DIR / f"pg{new_id().hex[-8:]}"), primary, standby)
    try:
        replica.run("start")
        yield replica
    finally:
        replica.run("stop")
