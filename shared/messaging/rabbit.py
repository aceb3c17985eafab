"""RabbitMQ transport on aio-pika: robust connection (over a cluster's nodes), confirms, mandatory,
quorum queues."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any, cast

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustExchange,
)

from shared.logging import get_logger
from shared.messaging.acks import ChannelAcks
from shared.messaging.failover import FailoverConnection, broker_urls, connect_failover
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import (
    Delivery,
    DeliveryCallback,
    OutgoingMessage,
    PublishFailed,
    Unroutable,
)

log = get_logger(__name__)

CANCEL_TIMEOUT_S = 5.0
RENEW_TIMEOUT_S = 5.0  # to replace a publishing channel the broker nacked on


class RabbitDelivery:
    """An aio-pika incoming message seen through the Delivery port; a consumer's deliveries are
    settled through their channel's ChannelAcks."""

    def __init__(self, message: AbstractIncomingMessage, acks: ChannelAcks | None = None) -> None:
        self._message = message
        self._acks = acks if message.delivery_tag else None
        self._headers: dict[str, Any] | None = None

    @property
    def body(self) -> bytes:
        return self._message.body

    @property
    def headers(self) -> dict[str, Any]:
        if self._headers is None:
            self._headers = dict(self._message.headers or {})
        return self._headers

    @property
    def message_id(self) -> str | None:
        return self._message.message_id

    @property
    def type(self) -> str | None:
        return self._message.type

    @property
    def routing_key(self) -> str:
        return self._message.routing_key or ""

    @property
    def redelivered(self) -> bool:
        return bool(self._message.redelivered)

    async def ack(self) -> None:
        if self._acks is None:
            await self._message.ack()
        else:
            await self._acks.ack(self._tag)

    async def nack(self, *, requeue: bool) -> None:
        if self._acks is None:
            await self._message.nack(requeue=requeue)
        else:
            await self._acks.nack(self._tag, requeue=requeue)

    @property
    def _tag(self) -> int:
        tag = self._message.delivery_tag
        assert tag is not None  # a delivery without a tag has no ChannelAcks
        return tag


class RabbitConsumer:
    """A consumer on its own channel (so prefetch and cancellation stay per queue)."""

    def __init__(self, channel: AbstractRobustChannel, queue: AbstractQueue, tag: str) -> None:
        self._channel, self._queue, self._tag = channel, queue, tag
        self._cancelled = False

    async def cancel(self) -> None:
        if self._cancelled:
            return
        self._cancelled = True
        # A robust channel waits for the connection to come back before it cancels; while the
        # broker is unreachable that holds a shutdown for ever, and the broker has dropped the
        # consumer with the connection anyway.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._queue.cancel(self._tag), CANCEL_TIMEOUT_S)


class RabbitTransport:
    """Publish and consume on one durable topic exchange with a robust connection.

    `url` is one broker or the nodes of a cluster (a list, or one comma-separated string): the
    connection moves to the next node when its node fails, and restores the channel, the
    exchange and every consumer there.
    """

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        exchange: str,
        connection_name: str = "jiangxin",
        publish_timeout: float = 10.0,
        reconnect_interval: float = 1.0,
    ) -> None:
        self._urls = broker_urls(url)
        self._exchange_name = exchange
        self._connection_name = connection_name
        self._publish_timeout = publish_timeout
        self._reconnect_interval = reconnect_interval
        self._connection: FailoverConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractRobustExchange | None = None
        self._ready = asyncio.Event()
        self._consumers: list[RabbitConsumer] = []
        self._renewing = asyncio.Lock()  # one publishing channel replaced at a time

    async def connect(self) -> None:
        """Connect (retrying until the broker answers) and declare the exchange."""
        connection = await connect_failover(
            self._urls,
            client_properties={"connection_name": self._connection_name},
            reconnect_interval=self._reconnect_interval,
            fail_fast=False,
        )
        self._connection = connection
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await channel.declare_exchange(
            self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._channel = channel
        self._ready.set()
        log.info("broker_connected", exchange=self._exchange_name, node=connection.node)

    async def wait_ready(self) -> None:
        """Wait until the first connection succeeded."""
        await self._ready.wait()

    async def publish(
        self,
        message: OutgoingMessage,
        *,
        routing_key: str,
        to_queue: bool = False,
        mandatory: bool = True,
    ) -> None:
        """Publish persistently and wait for the broker's confirm."""
        if not self._ready.is_set() or self._channel is None or self._exchange is None:
            raise PublishFailed("not connected to the broker")
        # Straight to the underlying aiormq channel: the same frames as aio-pika's
        # Exchange.publish without building an aio_pika.Message per row (the relay's hot path).
        # wait=False queues the frames and frees the channel for the next publish instead of
        # holding it until this frame reached the socket; the confirm is awaited either way
        # (under the same timeout, and failed when the channel closes).
        properties = aiormq.spec.Basic.Properties(
            message_id=message.message_id,
            message_type=message.type,
            headers=message.headers,
            content_type=message.content_type,
            delivery_mode=2,  # persistent
        )
        try:
            channel = cast(aiormq.Channel, await self._channel.get_underlay_channel())
            await channel.basic_publish(
                message.body,
                exchange="" if to_queue else self._exchange.name,
                routing_key=routing_key,
                properties=properties,
                mandatory=mandatory,
                timeout=self._publish_timeout,
                wait=False,
            )
        except aiormq.exceptions.PublishError as exc:
            raise Unroutable(f"no queue bound for {routing_key!r}") from exc
        except aiormq.exceptions.DeliveryError as exc:
            await self._renew_channel(channel)
            raise PublishFailed(f"broker refused the message: {exc!r}") from exc
        except (TimeoutError, aiormq.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc

    async def _renew_channel(self, nacked: aiormq.Channel) -> None:
        """Publish on a new channel from now on, in place of one whose publish was nacked.

        RabbitMQ 3.10 can leave a channel rejecting every publish to a quorum queue: a channel
        opened on a surviving node while the queue's leader had just died with its node (the
        client reconnecting there at once) has every message nacked until that node returns,
        although a new channel on the same connection publishes fine
        (tests/messaging/test_cluster.py). A nack for another reason (no quorum, a queue full)
        costs only a channel; the rows it refused stay in the outbox either way.
        """
        async with self._renewing:
            if self._connection is None or self._channel is None:
                return
            channel: AbstractRobustChannel | None = None
            try:
                async with asyncio.timeout(RENEW_TIMEOUT_S):  # not for ever while reconnecting
                    if await self._channel.get_underlay_channel() is not nacked:
                        return  # renewed already, or restored on a new connection since
                    channel = await self._connection.channel(
                        publisher_confirms=True, on_return_raises=True
                    )
                    exchange = await channel.declare_exchange(
                        self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                    )
            except Exception as exc:  # the connection is going: its restore starts afresh
                log.warning("broker_channel_renew_failed", error=repr(exc))
                if channel is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(channel.close(), RENEW_TIMEOUT_S)
                return
            old, self._channel, self._exchange = self._channel, channel, exchange
        log.warning("broker_channel_renewed", reason="publish nacked",
                    node=self._connection.node)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(old.close(), RENEW_TIMEOUT_S)

    async def declare(self, topology: QueueTopology) -> None:
        """Declare the work queue (bound to its routing keys), delay tiers, error and skipped."""
        await self.wait_ready()
        assert self._connection is not None
        async with self._connection.channel() as channel:
            exchange = await channel.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            work = await channel.declare_queue(
                topology.queue, durable=True, arguments=topology.work_queue_arguments()
            )
            for key in topology.bindings:
                await work.bind(exchange, routing_key=key)
            for tier, name in enumerate(topology.retry_queues, start=1):
                await channel.declare_queue(
                    name, durable=True, arguments=topology.retry_queue_arguments(tier)
                )
            for name in (topology.error_queue, topology.skipped_queue):
                await channel.declare_queue(
                    name, durable=True, arguments=topology.parking_queue_arguments()
                )

    async def consume(
        self, queue: str, callback: DeliveryCallback, *, prefetch: int
    ) -> RabbitConsumer:
        """Consume `queue` on a robust channel of its own with explicit prefetch."""
        await self.wait_ready()
        assert self._connection is not None
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        amqp_queue = await channel.get_queue(queue, ensure=True)
        acks: ChannelAcks | None = None

        async def on_message(message: AbstractIncomingMessage) -> None:
            # Called in delivery order. After a reconnection the deliveries come on a new
            # channel, numbered from 1 again.
            nonlocal acks
            underlay = message.channel
            if acks is None or acks.channel is not underlay:
                acks = ChannelAcks(underlay)
            await callback(RabbitDelivery(message, acks))

        tag = await amqp_queue.consume(on_message, no_ack=False)
        consumer = RabbitConsumer(channel, amqp_queue, tag)
        self._consumers.append(consumer)
        return consumer

    async def get(self, queue: str) -> Delivery | None:
        """Take one message off `queue` without auto-ack."""
        await self.wait_ready()
        assert self._channel is not None
        amqp_queue = await self._channel.get_queue(queue, ensure=True)
        message = await amqp_queue.get(no_ack=False, fail=False, timeout=5)
        return RabbitDelivery(message) if message is not None else None

    async def message_count(self, queue: str) -> int:
        """Return the ready-message count of a queue (passive declare on a throwaway channel)."""
        await self.wait_ready()
        assert self._connection is not None
        async with self._connection.channel() as channel:
            declared = await channel.declare_queue(queue, passive=True)
            return int(declared.declaration_result.message_count or 0)

    async def is_connected(self) -> bool:
        """Tell whether the connection is up right now."""
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._connection.connected.is_set()
        )

    async def close(self) -> None:
        """Cancel consumers and close the connection."""
        for consumer in self._consumers:
            await consumer.cancel()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
