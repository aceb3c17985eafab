"""What waits in the parking queues, read without the management plugin.

Depths come from passive declares; the ids of what waits from browsing the way
`jiangxin dlq list` does (each message is taken and handed back: it stays parked).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiormq.exceptions import ChannelNotFoundEntity

from ops.ledger.model import ParkedQueue
from shared.messaging import dlq
from shared.messaging.rabbit import RabbitTransport

BROWSE_LIMIT = 20  # ids named per queue; the depth counts every message
CONNECT_TIMEOUT_S = 10.0


class BrokerUnreachable(Exception):
    """The broker did not answer in time."""


async def read_queues(
    amqp_url: str, *, exchange: str, parking: Sequence[str], work: Sequence[str]
) -> tuple[list[ParkedQueue], dict[str, int | None]]:
    """Return each parking queue with the first messages in it, and each work queue's depth."""
    transport = RabbitTransport(amqp_url, exchange=exchange, connection_name="ledger-check")
    try:
        await asyncio.wait_for(transport.connect(), CONNECT_TIMEOUT_S)
    except TimeoutError:
        await transport.close()
        raise BrokerUnreachable(f"no answer from the broker in {CONNECT_TIMEOUT_S:g} s") from None
    try:
        parked = [await _parked(transport, queue) for queue in parking]
        return parked, {queue: await _depth(transport, queue) for queue in work}
    finally:
        await transport.close()


async def _depth(transport: RabbitTransport, queue: str) -> int | None:
    try:
        return await transport.message_count(queue)
    except ChannelNotFoundEntity:
        return None


async def _parked(transport: RabbitTransport, queue: str) -> ParkedQueue:
    depth = await _depth(transport, queue)
    if not depth:
        return ParkedQueue(queue, depth)
    parked = await dlq.list_parked(transport, queue, limit=min(depth, BROWSE_LIMIT))
    return ParkedQueue(
        queue, depth, tuple(m.message_id for m in parked), tuple(m.type for m in parked)
    )
