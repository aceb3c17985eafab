"""Broker CPU per message: one RabbitMQ node against a three-node cluster (quorum queues
replicated on every node), both private (deploy/local/rabbit-cluster.sh on ports of their own).

Usage: python -m bench.broker_cluster [--messages 20000]

For each: raw aio-pika publishing persistent messages with publisher confirms to a quorum queue
and consuming them with manual acks (bench.backbone's raw flow), connected to the first node;
the CPU time (/proc) of every node's Erlang VM over the run, per message. The sizing in
docs/operations.md uses the cluster's figure for the broker nodes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
from pathlib import Path

from bench.backbone import raw_aio_pika
from bench.common import cpu_seconds, report, unique
from deploy.gateway import REPO

SCRIPT = REPO / "deploy" / "local" / "rabbit-cluster.sh"


def cluster(args: list[str], nodes: list[str], directory: Path) -> None:
    """Run rabbit-cluster.sh for these node entries (name:amqp_port:dist_port)."""
    env = {**os.environ, "JIANGXIN_RABBIT_CLUSTER_NODES": " ".join(nodes),
           "JIANGXIN_RABBIT_CLUSTER_DIR": str(directory)}
    subprocess.run([str(SCRIPT), *args], env=env, cwd=REPO, check=True)


def measure(nodes: list[str], messages: int) -> tuple[float, list[float]]:
    """Start the nodes, run the raw flow against the first; return msgs/s and ms per node."""
    directory = REPO / "var" / "bench" / unique("cluster")
    cluster(["start"], nodes, directory)
    try:
        pids = [int((directory / n.split(":")[0] / "pid").read_text()) for n in nodes]
        url = f"amqp://guest:guest@127.0.0.1:{nodes[0].split(':')[1]}/"
        asyncio.run(raw_aio_pika(min(2000, messages), url))  # warm up
        before = [cpu_seconds(pid) for pid in pids]
        rate = asyncio.run(raw_aio_pika(messages, url))
        spent = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
    finally:
        cluster(["stop"], nodes, directory)
    return rate, [s * 1000 / messages for s in spent]


def main() -> None:
    """Measure one node, then three."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    count = parser.parse_args().messages
    one_rate, one = measure(["jxb1:5683:25683"], count)
    three_rate, three = measure([f"jxb{i}:{5683 + i}:{25683 + i}" for i in (1, 2, 3)], count)
    load = os.getloadavg()[0]
    report("broker_cluster", [
        ("messages (persistent, confirmed, acked)", f"{count:,}"),
        ("one node: messages/s", f"{one_rate:,.0f}"),
        ("one node: broker CPU per message", f"{one[0]:.3f} ms"),
        ("three nodes: messages/s", f"{three_rate:,.0f}"),
        ("three nodes: CPU per message by node", ", ".join(f"{ms:.3f}" for ms in three) + " ms"),
        ("three nodes: CPU per message, all nodes", f"{sum(three):.3f} ms"),
        ("machine load (1 min)", f"{load:.2f}"),
    ], {"one": {"rate": one_rate, "cpu_ms": one}, "three": {"rate": three_rate, "cpu_ms": three},
        "load": load})


if __name__ == "__main__":
    main()
