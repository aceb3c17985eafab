"""Acks made together go out together, and never settle a delivery that is still undecided."""

from __future__ import annotations

import asyncio

import aio_pika

from shared.messaging.rabbit import RabbitTransport
from shared.messaging.transport import Delivery, OutgoingMessage
from tests.support.infra import AMQP_URL, eventually


async def _queue_with(namespace: str, rabbit: RabbitTransport, count: int) -> str:
    """Declare a quorum queue holding `count` messages m0..m<count-1>; return its name."""
    name = f"{namespace}.x"
    async with await aio_pika.connect(AMQP_URL) as connection:
        channel = await connection.channel()
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    for n in range(count):
        await rabbit.publish(OutgoingMessage(body=b"{}", message_id=f"m{n}", type="t"),
                             routing_key=name, to_queue=True)

    async def all_queued() -> bool:
        return await rabbit.message_count(name) == count

    await eventually(all_queued)
    return name


async def _receive(rabbit: RabbitTransport, queue: str, count: int) -> list[Delivery]:
    """Consume until `count` deliveries are in hand (none settled), then stop consuming."""
    got: list[Delivery] = []
    every = asyncio.Event()

    async def keep(delivery: Delivery) -> None:
        got.append(delivery)
        if len(got) == count:
            every.set()

    handle = await rabbit.consume(queue, keep, prefetch=count)
    await asyncio.wait_for(every.wait(), 30)
    await handle.cancel()
    return got


async def _left_after_reconnecting(namespace: str, queue: str) -> list[str]:
    """Return the ids of the messages the queue holds once no one has them in hand."""
    rabbit = RabbitTransport(AMQP_URL, exchange=f"{namespace}.events", connection_name="test")
    await rabbit.connect()
    try:
        left = []
        while (delivery := await rabbit.get(queue)) is not None:
            left.append(delivery.message_id or "")
        return sorted(left)
    finally:
        await rabbit.close()


async def test_acks_around_a_delivery_still_in_hand_leave_it_unsettled(
    namespace: str, rabbit: RabbitTransport
) -> None:
    queue = await _queue_with(namespace, rabbit, 30)
    deliveries = await _receive(rabbit, queue, 30)
    in_hand = {"m0", "m7", "m19"}
    await asyncio.gather(*(d.ack() for d in deliveries if d.message_id not in in_hand))
    await rabbit.close()  # the deliveries not acked go back to the queue

    assert await _left_after_reconnecting(namespace, queue) == sorted(in_hand)


async def test_a_nack_among_acks_of_the_same_moment_requeues_only_that_delivery(
    namespace: str, rabbit: RabbitTransport
) -> None:
    queue = await _queue_with(namespace, rabbit, 30)
    deliveries = await _receive(rabbit, queue, 30)
    await asyncio.gather(*(
        d.nack(requeue=True) if d.message_id == "m12" else d.ack() for d in deliveries
    ))

    async def requeued() -> bool:
        return await rabbit.message_count(queue) == 1

    await eventually(requeued)
    await rabbit.close()
    assert await _left_after_reconnecting(namespace, queue) == ["m12"]


async def test_deliveries_settled_one_after_another_are_all_acked(
    namespace: str, rabbit: RabbitTransport
) -> None:
    queue = await _queue_with(namespace, rabbit, 20)
    deliveries = await _receive(rabbit, queue, 20)
    for delivery in reversed(deliveries):  # the lowest tag last: every ack before it waits alone
        await delivery.ack()
    await rabbit.close()

    assert await _left_after_reconnecting(namespace, queue) == []
