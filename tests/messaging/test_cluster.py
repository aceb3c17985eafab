"""On a three-node RabbitMQ cluster (private, started here): quorum queues replicated on every
node, a service given the nodes' list that outlives the node it is connected to, and a publisher
that goes on publishing when its node dies with the queue's leader."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from services.cli import services
from shared.ids import new_id
from shared.messaging.outbox import OutboxWriter
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import OutgoingMessage, PublishFailed
from shared.service import topology_for
from tests.deploy.manifests import REPO, free_port
from tests.messaging.harness import EFFECTS_DDL, ThingHappened
from tests.support.cluster import RabbitCluster, rabbit_cluster
from tests.support.infra import eventually

# Private servers of their own: after the parallel part of `make test`, alone.
pytestmark = pytest.mark.serial

SERVICE_CONNECTION = "test-service"  # what the shared runtime names the service's connection
PUBLISHER = "test-publisher"
IN_FLIGHT = 50  # publishes awaiting their confirms at once, as the relay has them


@pytest.fixture(scope="module")
def cluster() -> Iterator[RabbitCluster]:
    """Three nodes of this run's own, stopped and deleted after the module."""
    with rabbit_cluster(3) as started:
        yield started


async def test_every_queue_jiangxin_topology_declares_is_a_quorum_queue_on_all_three_nodes(
    cluster: RabbitCluster, namespace: str
) -> None:
    env = {**os.environ, "JIANGXIN_AMQP_URL": cluster.urls, "JIANGXIN_NAMESPACE": namespace}
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.cli", "topology"], env=env, cwd=REPO,
        check=True, capture_output=True, timeout=120,
    )
    expected = {
        queue
        for info in services().values() if info.subscriptions.routing_keys
        for queue in topology_for(info.settings(namespace=namespace),
                                  info.subscriptions).all_queues
    }
    nodes = {f"{node.name}@localhost" for node in cluster.nodes}
    found = {name: kind for name, kind in (await cluster.queues(on=3)).items()
             if name.startswith(f"{namespace}.")}
    assert set(found) == expected
    for name, (kind, members) in found.items():
        assert (name, kind, members) == (name, "quorum", nodes)


@asynccontextmanager
async def service_process(dsn: str, namespace: str, urls: str, key: Path) -> AsyncIterator[int]:
    """Run the shared service runtime (tests.messaging.proc) on the cluster; yield its port."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.messaging.proc", "--role", "service", "--port", str(port),
        "--dsn", dsn, "--namespace", namespace, "--public-key", str(key), "--amqp-url", urls,
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def ready() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(ready, timeout=60, interval=0.2)
        yield port
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise AssertionError("the service did not stop within 30 s of SIGTERM") from None


async def _emit(pool: asyncpg.Pool, first: int, count: int) -> None:
    # Into the service's own outbox: its relay publishes them, its consumer handles each and
    # emits an echo through the outbox again, which it consumes in turn.
    async with pool.acquire() as conn, conn.transaction():
        await OutboxWriter("test").add(conn, *(
            ThingHappened(thing_id=f"t{i}", n=i, mode="emit") for i in range(first, first + count)
        ))


async def _effects_reach(pool: asyncpg.Pool, count: int) -> None:
    async def reached() -> bool:
        return int(await pool.fetchval("SELECT count(*) FROM effects")) >= count

    await eventually(reached, timeout=90, interval=0.2)


async def test_a_service_given_the_nodes_keeps_consuming_and_publishing_when_its_node_stops(
    cluster: RabbitCluster, pg_dsn: str, namespace: str, key_files: Path
) -> None:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=2)
    assert pool is not None
    await pool.execute(EFFECTS_DDL)
    key = key_files / "jwt-signing.pub.pem"
    stopped: int | None = None
    try:
        async with service_process(pg_dsn, namespace, cluster.urls, key):
            await _emit(pool, 0, 20)
            await _effects_reach(pool, 40)  # each thing and its echo
            stopped = await cluster.node_of_connection(SERVICE_CONNECTION)
            await cluster.arun("stop-node", str(stopped))
            await _emit(pool, 20, 20)
            await _effects_reach(pool, 80)
            survivor = 1 if stopped != 1 else 2
            assert await cluster.node_of_connection(SERVICE_CONNECTION, on=survivor) != stopped
        rows = await pool.fetch("SELECT thing_id, count(*) AS c FROM effects GROUP BY 1")
        expected = {f"t{i}" for i in range(40)} | {f"echo:t{i}" for i in range(40)}
        assert {r["thing_id"]: r["c"] for r in rows} == dict.fromkeys(expected, 1)
    finally:
        await pool.close()
        if stopped is not None:
            await cluster.arun("start-node", str(stopped))


async def test_a_publisher_whose_node_dies_with_the_queue_leader_publishes_from_the_next_node(
    cluster: RabbitCluster, namespace: str
) -> None:
    # RabbitMQ 3.10 nacks every publish to a quorum queue on a channel opened while the queue's
    # leader had just died with its node, until that node returns: the client, reconnected at
    # once, restores its publishing channel in that moment. The transport publishes on a new
    # channel after a nack (shared/messaging/rabbit.py _renew_channel).
    publisher = RabbitTransport(cluster.urls, exchange=f"{namespace}.events",
                                connection_name=PUBLISHER)
    await publisher.connect()
    topology = QueueTopology(queue=f"{namespace}.work", bindings=("thing.happened.v1",))
    await publisher.declare(topology)  # a new queue's leader is the declaring client's node
    node = await cluster.node_of_connection(PUBLISHER)
    queues = await cluster.table("list_queues", "name", "leader", on=node)
    assert [cluster.number(leader) for name, leader in queues if name == topology.queue] == [node]
    confirmed = [0]
    stop = asyncio.Event()

    async def keep_publishing() -> None:
        while not stop.is_set():
            message = OutgoingMessage(b"{}", message_id=str(new_id()), type="thing.happened")
            try:
                await publisher.publish(message, routing_key="thing.happened.v1")
                confirmed[0] += 1
            except PublishFailed:
                await asyncio.sleep(0.1)  # as the relay backs off

    async def more_than(count: int) -> bool:
        return confirmed[0] > count

    tasks = [asyncio.create_task(keep_publishing()) for _ in range(IN_FLIGHT)]
    try:
        await eventually(lambda: more_than(IN_FLIGHT * 4), timeout=60)
        await cluster.arun("kill-node", str(node))
        killed_at = confirmed[0]
        await eventually(lambda: more_than(killed_at + IN_FLIGHT * 4), timeout=60, interval=0.2)
        survivor = 1 if node != 1 else 2
        assert await cluster.node_of_connection(PUBLISHER, on=survivor) != node
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await publisher.close()
        await cluster.arun("start-node", str(node))
