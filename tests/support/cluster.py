"""A private three-node RabbitMQ cluster (deploy/local/rabbit-cluster.sh) for one test run.

Node names, ports and directories are the run's own, so two checkouts testing at once never
meet, and the machine's broker (rabbit@localhost, 5672) is never touched. Tests stop and kill
these nodes at will.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from deploy.gateway import REPO
from shared.ids import new_id
from tests.support.infra import free_ports

SCRIPT = REPO / "deploy" / "local" / "rabbit-cluster.sh"
# Under /tmp, not the checkout: the nodes run as the rabbitmq user, who may not reach a checkout
# in a private home directory.
CLUSTERS_DIR = Path(tempfile.gettempdir()) / "jiangxin-test-clusters"
CONNECTION_NAME = re.compile(r'\{"connection_name","([^"]*)"\}')


@dataclass(frozen=True)
class Node:
    """One node: <name>@localhost, its AMQP port and its distribution port."""

    name: str
    amqp_port: int
    dist_port: int

    @property
    def entry(self) -> str:
        """Return the node as rabbit-cluster.sh lists it."""
        return f"{self.name}:{self.amqp_port}:{self.dist_port}"

    @property
    def url(self) -> str:
        """Return the node's AMQP URL."""
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"


@dataclass(frozen=True)
class RabbitCluster:
    """A running cluster and the script commands that disturb it (nodes are numbered from 1)."""

    name: str
    nodes: tuple[Node, ...]

    @property
    def urls(self) -> str:
        """Return every node's URL, comma-separated: a JIANGXIN_AMQP_URL for the cluster."""
        return ",".join(node.url for node in self.nodes)

    @property
    def env(self) -> dict[str, str]:
        """Return the environment that aims rabbit-cluster.sh at this cluster."""
        return {
            **os.environ,
            "JIANGXIN_RABBIT_CLUSTER_NODES": " ".join(node.entry for node in self.nodes),
            "JIANGXIN_RABBIT_CLUSTER_DIR": str(CLUSTERS_DIR / self.name),
        }

    def run(self, *args: str, timeout: float = 300) -> str:
        """Run the script (start, stop, stop-node 2, ...) and return its output."""
        done = subprocess.run([str(SCRIPT), *args], env=self.env, cwd=REPO, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"rabbit-cluster.sh {' '.join(args)}: {done.stderr[-2000:]}")
        return done.stdout

    async def arun(self, *args: str) -> str:
        """Run the script without blocking the event loop."""
        return await asyncio.to_thread(self.run, *args)

    async def queues(self, *, on: int = 1) -> dict[str, tuple[str, set[str]]]:
        """Return each queue's type and member nodes, as node `on` sees the cluster."""
        out = await self.arun("ctl", str(on), "list_queues", "name", "type", "members",
                              "--no-table-headers")
        found: dict[str, tuple[str, set[str]]] = {}
        for line in out.splitlines():
            name, kind, members = line.split("\t")
            found[name] = (kind, {m.strip(" []") for m in members.split(",") if m.strip(" []")})
        return found

    def number(self, node: str) -> int:
        """Return the number (from 1) of a node named as RabbitMQ names it (<name>@localhost)."""
        return next(i for i, n in enumerate(self.nodes, 1) if f"{n.name}@localhost" == node)

    async def table(self, command: str, *items: str, on: int) -> list[list[str]]:
        """Return the rows of a rabbitmqctl list command (list_queues name leader ...)."""
        out = await self.arun("ctl", str(on), command, *items, "--no-table-headers")
        return [line.split("\t") for line in out.splitlines() if line.strip()]

    async def connections(self, *, on: int) -> list[tuple[str, int]]:
        """Return (client connection name, node number) of every client connection."""
        by_port = {node.amqp_port: i for i, node in enumerate(self.nodes, 1)}
        found = []
        for port, properties in await self.table("list_connections", "port", "client_properties",
                                                 on=on):
            named = CONNECTION_NAME.search(properties)
            found.append((named.group(1) if named else "", by_port[int(port)]))
        return found

    async def leaders(self, *, on: int) -> dict[str, int]:
        """Return the node leading each queue (quorum queues), as node `on` sees the cluster."""
        return {name: self.number(leader.strip())
                for name, leader in await self.table("list_queues", "name", "leader", on=on)}

    async def move_leader(self, queue: str, to: int, *, on: int) -> None:
        """Make node `to` the leader of a quorum queue (of vhost /): Ra's leadership transfer,
        which RabbitMQ 3.10's command-line tools do not offer."""
        target = f"{self.nodes[to - 1].name}@localhost"
        await self.arun("ctl", str(on), "eval", (
            f'{{ok, Q}} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, <<"{queue}">>)), '
            "{Name, Leader} = amqqueue:get_pid(Q), "
            f"ra:transfer_leadership({{Name, Leader}}, {{Name, '{target}'}})."
        ))

    async def node_of_connection(self, connection_name: str, *, on: int = 1) -> int:
        """Return the number of the node a client connection (by its name) is attached to."""
        out = await self.arun("ctl", str(on), "list_connections", "port", "client_properties",
                              "--no-table-headers")
        ports = {int(line.split("\t")[0]) for line in out.splitlines()
                 if f'"{connection_name}"' in line}
        assert len(ports) == 1, f"{connection_name} is on ports {ports}: {out}"
        return next(i for i, node in enumerate(self.nodes, 1) if node.amqp_port in ports)


@contextmanager
def rabbit_cluster(size: int = 3) -> Iterator[RabbitCluster]:
    """Start a cluster of `size` nodes of its own; stop it and delete its data afterwards."""
    name = f"jxq{new_id().hex[-6:]}"
    # Below the kernel's ephemeral ports (32768 up), which a client socket may take between our
    # check and the node's listen; distribution ports below 22000: the CLI tools talk from the
    # dist port + 10000.
    amqp, dist = free_ports(size, 12000, 17000), free_ports(size, 17000, 22000)
    cluster = RabbitCluster(name, tuple(
        Node(f"{name}n{i}", amqp[i], dist[i]) for i in range(size)
    ))
    try:
        cluster.run("start")
        yield cluster
    finally:
        cluster.run("stop")
