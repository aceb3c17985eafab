"""Queue topology as data: a work queue, its delay tiers, `.error` and `.skipped`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QueueTopology:
    """One consuming service's queues and the routing keys bound to its work queue."""

    queue: str
    bindings: tuple[str, ...]
    delay_tiers_ms: tuple[int, ...] = (1_000, 10_000, 60_000)
    delivery_limit: int = 50

    @property
    def error_queue(self) -> str:
        """Return the queue where given-up messages wait for an operator."""
        return f"{self.queue}.error"

    @property
    def skipped_queue(self) -> str:
        """Return the queue for message types this consumer does not know."""
        return f"{self.queue}.skipped"

    def retry_queue(self, tier: int) -> str:
        """Return the delay queue of tier 1..n."""
        return f"{self.queue}.retry.{tier}"

    @property
    def retry_queues(self) -> list[str]:
        """Return every delay queue, shortest delay first."""
        return [self.retry_queue(i + 1) for i in range(len(self.delay_tiers_ms))]

    @property
    def all_queues(self) -> list[str]:
        """Return every queue this topology declares."""
        return [self.queue, *self.retry_queues, self.error_queue, self.skipped_queue]

    def work_queue_arguments(self) -> dict[str, Any]:
        """Return the broker-side safety net of the work queue."""
        return {
            **_quorum(),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.error_queue,
            "x-delivery-limit": self.delivery_limit,
        }

    def retry_queue_arguments(self, tier: int) -> dict[str, Any]:
        """Return the arguments of a delay queue that dead-letters back to the work queue."""
        return {
            **_quorum(),
            "x-message-ttl": self.delay_tiers_ms[tier - 1],
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.queue,
        }

    @staticmethod
    def parking_queue_arguments() -> dict[str, Any]:
        """Return the arguments of `.error` and `.skipped` (kept until an operator acts)."""
        return {"x-queue-type": "quorum", "x-overflow": "reject-publish"}


def _quorum() -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
