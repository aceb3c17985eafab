"""The transport port: what the relay and consumer need from a broker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.messaging.topology import QueueTopology

ATTEMPT_HEADER = "x-jiangxin-attempt"
ORIGINAL_QUEUE_HEADER = "x-jiangxin-queue"


class Unroutable(Exception):
    """The broker returned a mandatory message: no queue is bound for its routing key."""


class PublishFailed(Exception):
    """The broker did not confirm the message (nack, timeout or connection loss)."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message as handed to the broker."""

    body: bytes
    message_id: str
    type: str
    headers: dict[str, Any] = field(default_factory=dict)
    content_type: str = "application/json"


class Delivery(Protocol):
    """A message received from a queue, to be acked or returned exactly once."""

    @property
    def body(self) -> bytes: ...
    @property
    def headers(self) -> dict[str, Any]: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def type(self) -> str | None: ...
    @property
    def routing_key(self) -> str: ...
    @property
    def redelivered(self) -> bool: ...

    async def ack(self) -> None: ...
    async def nack(self, *, requeue: bool) -> None: ...


DeliveryCallback = Callable[[Delivery], Awaitable[None]]


class ConsumerHandle(Protocol):
    """A running subscription."""

    async def cancel(self) -> None: ...


class Transport(Protocol):
    """A broker: RabbitMQ in production, in memory in unit tests."""

    async def publish(
        self,
        message: OutgoingMessage,
        *,
        routing_key: str,
        to_queue: bool = False,
        mandatory: bool = True,
    ) -> None:
        """Publish with confirmation to the events exchange, or straight to a queue."""

    async def declare(self, topology: QueueTopology) -> None:
        """Declare the exchange, the queues and the bindings."""

    async def consume(
        self, queue: str, callback: DeliveryCallback, *, prefetch: int
    ) -> ConsumerHandle:
        """Start delivering messages of `queue` to `callback`."""

    async def get(self, queue: str) -> Delivery | None:
        """Take one message off a queue (tools), or None when it is empty."""

    async def message_count(self, queue: str) -> int:
        """Return how many messages wait in a queue."""

    async def is_connected(self) -> bool:
        """Tell whether the broker is reachable now."""

    async def close(self) -> None:
        """Close connections; unacked deliveries go back to their queues."""


def message_from_delivery(delivery: Delivery, **extra_headers: Any) -> OutgoingMessage:
    """Copy a delivery into a new outgoing message, adding headers."""
    headers = {
        k: v for k, v in delivery.headers.items() if k not in {"x-death", "x-delivery-count"}
    }
    headers.update(extra_headers)
    return OutgoingMessage(
        body=delivery.body,
        message_id=delivery.message_id or "",
        type=delivery.type or "",
        headers=headers,
    )
