"""An in-memory broker with RabbitMQ's semantics, for unit tests of consumers and relays."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from shared.messaging.topology import QueueTopology
from shared.messaging.transport import (
    DeliveryCallback,
    OutgoingMessage,
    PublishFailed,
    Unroutable,
)


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Tell whether an AMQP topic binding pattern matches a routing key."""
    regex = "^" + re.escape(pattern).replace(r"\*", r"[^.]+").replace(r"\#", r".*") + "$"
    regex = regex.replace(r"\.\#", r"(\..*)?").replace(r"\#\.", r"(.*\.)?")
    return re.match(regex, routing_key) is not None


@dataclass
class _Message:
    body: bytes
    message_id: str
    type: str
    headers: dict[str, Any]
    routing_key: str
    redelivered: bool = False
    delivery_count: int = 0


@dataclass
class _Queue:
    name: str
    arguments: dict[str, Any]
    ready: deque[_Message] = field(default_factory=deque)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryDelivery:
    """A message handed to a consumer; ack or nack settles it once."""

    def __init__(self, broker: InMemoryTransport, queue: _Queue, message: _Message) -> None:
        self._broker, self._queue, self._message = broker, queue, message
        self.settled = False

    @property
    def body(self) -> bytes:
        return self._message.body

    @property
    def headers(self) -> dict[str, Any]:
        return {**self._message.headers, "x-delivery-count": self._message.delivery_count}

    @property
    def message_id(self) -> str | None:
        return self._message.message_id

    @property
    def type(self) -> str | None:
        return self._message.type

    @property
    def routing_key(self) -> str:
        return self._message.routing_key

    @property
    def redelivered(self) -> bool:
        return self._message.redelivered

    async def ack(self) -> None:
        self._settle()

    async def nack(self, *, requeue: bool) -> None:
        self._settle()
        if requeue:
            self._broker._return(self._queue, self._message)
        else:
            self._broker._dead_letter(self._queue, self._message)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError("delivery already settled")
        self.settled = True
        self._broker._unacked.discard(self)
        self._queue.changed.set()


async def _call(callback: DeliveryCallback, delivery: MemoryDelivery) -> None:
    await callback(delivery)


class _MemoryConsumer:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def cancel(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class InMemoryTransport:
    """A single-process broker: topic exchange, quorum-like queues, TTL and dead letters."""

    def __init__(self) -> None:
        self._queues: dict[str, _Queue] = {}
        self._bindings: list[tuple[str, str]] = []  # (pattern, queue)
        self._unacked: set[MemoryDelivery] = set()
        self._consumers: list[_MemoryConsumer] = []
        self.connected = True

    async def publish(
        self,
        message: OutgoingMessage,
        *,
        routing_key: str,
        to_queue: bool = False,
        mandatory: bool = True,
    ) -> None:
        if not self.connected:
            raise PublishFailed("in-memory broker is down")
        if to_queue:
            targets = [routing_key] if routing_key in self._queues else []
        else:
            targets = sorted({q for p, q in self._bindings if topic_matches(p, routing_key)})
        if not targets:
            if mandatory:
                raise Unroutable(f"no queue bound for {routing_key!r}")
            return
        for name in targets:
            self._enqueue(
                self._queues[name],
                _Message(
                    body=message.body,
                    message_id=message.message_id,
                    type=message.type,
                    headers=dict(message.headers),
                    routing_key=routing_key,
                ),
            )

    async def declare(self, topology: QueueTopology) -> None:
        self._declare_queue(topology.queue, topology.work_queue_arguments())
        for key in topology.bindings:
            if (key, topology.queue) not in self._bindings:
                self._bindings.append((key, topology.queue))
        for tier, name in enumerate(topology.retry_queues, start=1):
            self._declare_queue(name, topology.retry_queue_arguments(tier))
        for name in (topology.error_queue, topology.skipped_queue):
            self._declare_queue(name, topology.parking_queue_arguments())

    async def consume(self, queue: str, callback: DeliveryCallback, *, prefetch: int) -> Any:
        q = self._queues[queue]
        in_flight: set[MemoryDelivery] = set()
        tasks: set[asyncio.Task[None]] = set()

        async def pump() -> None:
            while True:
                in_flight.difference_update({d for d in in_flight if d.settled})
                if q.ready and len(in_flight) < prefetch:
                    delivery = self._deliver(q)
                    in_flight.add(delivery)
                    task = asyncio.create_task(_call(callback, delivery))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                    continue
                q.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(q.changed.wait(), 0.01)

        consumer = _MemoryConsumer(asyncio.create_task(pump()))
        self._consumers.append(consumer)
        return consumer

    async def get(self, queue: str) -> MemoryDelivery | None:
        q = self._queues[queue]
        return self._deliver(q) if q.ready else None

    async def message_count(self, queue: str) -> int:
        return len(self._queues[queue].ready)

    async def is_connected(self) -> bool:
        return self.connected

    async def close(self) -> None:
        for consumer in self._consumers:
            await consumer.cancel()
        for delivery in list(self._unacked):
            await delivery.nack(requeue=True)

    def messages(self, queue: str) -> list[tuple[str, dict[str, Any], bytes]]:
        """Return (message_id, headers, body) of the ready messages of a queue (assertions)."""
        return [(m.message_id, m.headers, m.body) for m in self._queues[queue].ready]

    def _declare_queue(self, name: str, arguments: dict[str, Any]) -> None:
        existing = self._queues.get(name)
        if existing is not None and existing.arguments != arguments:
            raise PublishFailed(f"PRECONDITION_FAILED: {name} redeclared with other arguments")
        self._queues.setdefault(name, _Queue(name, arguments))

    def _enqueue(self, q: _Queue, message: _Message) -> None:
        q.ready.append(message)
        q.changed.set()
        ttl = q.arguments.get("x-message-ttl")
        if ttl is not None:
            asyncio.get_running_loop().call_later(ttl / 1000, self._expire, q, message)

    def _expire(self, q: _Queue, message: _Message) -> None:
        with contextlib.suppress(ValueError):
            q.ready.remove(message)
            self._dead_letter(q, message)

    def _deliver(self, q: _Queue) -> MemoryDelivery:
        delivery = MemoryDelivery(self, q, q.ready.popleft())
        self._unacked.add(delivery)
        return delivery

    def _return(self, q: _Queue, message: _Message) -> None:
        message.redelivered = True
        message.delivery_count += 1
        limit = q.arguments.get("x-delivery-limit")
        if limit is not None and message.delivery_count > limit:
            self._dead_letter(q, message)
            return
        q.ready.appendleft(message)
        q.changed.set()

    def _dead_letter(self, q: _Queue, message: _Message) -> None:
        target = q.arguments.get("x-dead-letter-routing-key")
        if target is None or q.arguments.get("x-dead-letter-exchange") != "":
            return
        message.redelivered = False
        self._enqueue(self._queues[target], message)
