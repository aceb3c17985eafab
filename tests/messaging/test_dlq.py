"""Replaying or discarding parked messages takes only what was parked when the command began."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.messaging import dlq
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import OutgoingMessage, Transport
from tests.support.infra import eventually


class _StillFailing:
    """A broker whose consumer still fails: whatever reaches the work queue is parked again."""

    def __init__(self, inner: Transport, topology: QueueTopology) -> None:
        self.inner, self.topology = inner, topology

    async def publish(self, message: OutgoingMessage, *, routing_key: str, **kw: Any) -> None:
        if routing_key == self.topology.queue:
            routing_key = self.topology.error_queue
        await self.inner.publish(message, routing_key=routing_key, **kw)
        await asyncio.sleep(0)  # lets a timeout stop a replay that would never end

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def _parked(transport: Transport, namespace: str, ids: list[str]) -> QueueTopology:
    topology = QueueTopology(queue=f"{namespace}.x", bindings=("a.v1",))
    await transport.declare(topology)
    for message_id in ids:
        await transport.publish(
            OutgoingMessage(b"{not json", message_id, "a.v1"),
            routing_key=topology.error_queue,
            to_queue=True,
        )

    async def all_there() -> bool:
        return await transport.message_count(topology.error_queue) == len(ids)

    await eventually(all_there)
    return topology


async def test_replay_of_messages_that_fail_again_ends_and_counts_each_once(
    transport: Transport, namespace: str
) -> None:
    topology = await _parked(transport, namespace, ["m1", "m2"])
    failing: Any = _StillFailing(transport, topology)

    assert await asyncio.wait_for(dlq.replay(failing, topology.error_queue), 10) == 2
    one = dlq.replay(failing, topology.error_queue, message_id="m1")
    assert await asyncio.wait_for(one, 10) == 1
    assert sorted(m.message_id for m in await dlq.list_parked(transport, topology.error_queue)) == [
        "m1",
        "m2",
    ]


async def test_discard_removes_only_the_named_message(transport: Transport, namespace: str) -> None:
    topology = await _parked(transport, namespace, ["m1", "m2", "m3"])

    assert await dlq.discard(transport, topology.error_queue, message_id="m2") == 1
    assert await dlq.discard(transport, topology.error_queue, message_id="m2") == 0
    left = await dlq.list_parked(transport, topology.error_queue)
    assert sorted(m.message_id for m in left) == ["m1", "m3"]
