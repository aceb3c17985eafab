"""Inspect and replay the messages parked in `<queue>.error` (and `.skipped`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.messaging.transport import (
    ATTEMPT_HEADER,
    ORIGINAL_QUEUE_HEADER,
    Delivery,
    Transport,
    message_from_delivery,
)


@dataclass(frozen=True, slots=True)
class ParkedMessage:
    """What an operator needs to decide about a parked message."""

    message_id: str
    type: str
    exception_type: str
    exception_message: str
    attempts: int
    failed_at: str
    body: str
    skip_reason: str = ""  # `.skipped`: why no handler took it


def describe(delivery: Delivery) -> ParkedMessage:
    """Summarise a parked delivery."""
    headers: dict[str, Any] = delivery.headers
    return ParkedMessage(
        message_id=delivery.message_id or "",
        type=delivery.type or "",
        exception_type=str(headers.get("x-exception-type", "")),
        exception_message=str(headers.get("x-exception-message", "")),
        attempts=int(headers.get("x-attempts", 0) or 0),
        failed_at=str(headers.get("x-failed-at", "")),
        body=delivery.body.decode("utf-8", "replace"),
        skip_reason=str(headers.get("x-skip-reason", "")),
    )


async def list_parked(transport: Transport, queue: str, *, limit: int = 100) -> list[ParkedMessage]:
    """Browse up to `limit` messages of a parking queue, leaving them in place."""
    taken: list[Delivery] = []
    try:
        while len(taken) < limit:
            delivery = await transport.get(queue)
            if delivery is None:
                break
            taken.append(delivery)
        return [describe(d) for d in taken]
    finally:
        for delivery in taken:
            await delivery.nack(requeue=True)


def origin_queue(parking_queue: str, delivery: Delivery) -> str:
    """Return the work queue a parked message came from."""
    origin = delivery.headers.get(ORIGINAL_QUEUE_HEADER)
    if origin:
        return str(origin)
    for suffix in (".error", ".skipped"):
        if parking_queue.endswith(suffix):
            return parking_queue.removesuffix(suffix)
    raise ValueError(f"{parking_queue} is not a parking queue")


async def replay(
    transport: Transport, queue: str, *, limit: int | None = None, message_id: str | None = None
) -> int:
    """Send parked messages back to their work queue with a fresh attempt count.

    Only the messages parked when the replay begins are taken: one that fails again is parked
    behind them and waits for the next replay instead of going round for ever."""
    replayed = 0
    held: list[Delivery] = []
    try:
        for _ in range(await transport.message_count(queue)):
            if limit is not None and replayed >= limit:
                break
            delivery = await transport.get(queue)
            if delivery is None:
                break
            if message_id is not None and delivery.message_id != message_id:
                held.append(delivery)
                continue
            message = message_from_delivery(delivery, **{ATTEMPT_HEADER: 0, "x-replayed": True})
            await transport.publish(
                message, routing_key=origin_queue(queue, delivery), to_queue=True
            )
            await delivery.ack()  # only after the broker confirmed the copy
            replayed += 1
    finally:
        for delivery in held:
            await delivery.nack(requeue=True)
    return replayed


async def discard(transport: Transport, queue: str, *, message_id: str) -> int:
    """Delete the parked messages with this id (a message that can never succeed)."""
    discarded = 0
    held: list[Delivery] = []
    try:
        for _ in range(await transport.message_count(queue)):
            delivery = await transport.get(queue)
            if delivery is None:
                break
            if delivery.message_id != message_id:
                held.append(delivery)
                continue
            await delivery.ack()
            discarded += 1
    finally:
        for delivery in held:
            await delivery.nack(requeue=True)
    return discarded
