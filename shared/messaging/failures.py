"""Where failed messages go: a delay tier, `.error` (with a fault event) or `.skipped`."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from shared.events.catalog import MessageFaulted
from shared.events.envelope import Envelope
from shared.logging import get_logger, scrub_text
from shared.messaging.outbox import OutboxWriter
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import (
    ATTEMPT_HEADER,
    ORIGINAL_QUEUE_HEADER,
    Delivery,
    OutgoingMessage,
    Transport,
    message_from_delivery,
)

log = get_logger(__name__)


def describe(exc: BaseException, limit: int = 500) -> str:
    """Return a short, personal-data-free description of an exception."""
    if isinstance(exc, ValidationError):
        # Never the offending input values: they may be phone or ID numbers.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False, include_context=False)
        )
        text = f"ValidationError: {problems}"
    else:
        text = scrub_text(f"{type(exc).__name__}: {exc}")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stacktrace(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return describe(exc, 4000)
    return scrub_text("".join(traceback.format_exception(exc))[-4000:])


class FailureRouter:
    """Send a failed delivery on: later through a delay tier, or to `.error` for good."""

    def __init__(
        self, *, transport: Transport, topology: QueueTopology, outbox: OutboxWriter
    ) -> None:
        self.transport, self.topology, self.outbox = transport, topology, outbox

    async def retry_later(self, delivery: Delivery, exc: BaseException, attempt: int) -> bool:
        """Forward to the next delay tier; return False when every tier is used up."""
        tiers = self.topology.delay_tiers_ms
        if attempt >= len(tiers):
            return False
        tier = attempt + 1
        await self.forward(
            delivery,
            self.topology.retry_queue(tier),
            **{ATTEMPT_HEADER: tier, "x-last-exception": describe(exc)},
        )
        log.warning("message_delayed", tier=tier, delay_ms=tiers[attempt], error=describe(exc))
        return True

    async def park(
        self, delivery: Delivery, exc: BaseException, *, attempts: int, envelope: Envelope | None
    ) -> None:
        """Move a message to `.error` with the exception in headers and publish a fault event."""
        await self.forward(
            delivery,
            self.topology.error_queue,
            **{
                "x-exception-type": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "x-exception-message": describe(exc, 2000),
                "x-exception-stacktrace": _stacktrace(exc),
                "x-attempts": attempts,
                "x-failed-at": datetime.now(UTC).isoformat(),
                "x-original-routing-key": delivery.routing_key,
                ORIGINAL_QUEUE_HEADER: self.topology.queue,
            },
        )
        log.error("message_faulted", error=describe(exc), attempts=attempts)
        await self._publish_fault(delivery, exc, attempts=attempts, envelope=envelope)

    async def skip(self, delivery: Delivery) -> None:
        """Move a message of an unknown type to `.skipped`, saying why and when."""
        await self.forward(
            delivery,
            self.topology.skipped_queue,
            **{
                "x-skip-reason": f"no handler for {delivery.type or delivery.routing_key}",
                "x-failed-at": datetime.now(UTC).isoformat(),
                "x-original-routing-key": delivery.routing_key,
                ORIGINAL_QUEUE_HEADER: self.topology.queue,
            },
        )
        log.warning("message_skipped", reason="unknown type")

    async def forward(self, delivery: Delivery, queue: str, **headers: Any) -> None:
        """Publish a copy of the delivery straight to a queue, with extra headers."""
        await self.transport.publish(
            message_from_delivery(delivery, **headers), routing_key=queue, to_queue=True
        )

    async def _publish_fault(
        self, delivery: Delivery, exc: BaseException, *, attempts: int, envelope: Envelope | None
    ) -> None:
        message_id = envelope.message_id if envelope else _uuid_or_none(delivery.message_id)
        fault = MessageFaulted(
            message_id=message_id or UUID(int=0),
            message_type=envelope.routing_key if envelope else (delivery.type or "unknown"),
            queue=self.topology.queue,
            exception_type=type(exc).__name__,
            exception_message=describe(exc, 1000),
            attempts=attempts,
        )
        fault_envelope = self.outbox.envelope(fault)
        # Nobody is obliged to listen to faults: not mandatory, but still confirmed.
        await self.transport.publish(
            OutgoingMessage(
                body=fault_envelope.model_dump_json().encode(),
                message_id=str(fault_envelope.message_id),
                type=fault_envelope.routing_key,
                headers=fault_envelope.headers(),
            ),
            routing_key=fault_envelope.routing_key,
            mandatory=False,
        )


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
