"""The message envelope and the base class of every integration event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.ids import new_id


class Event(BaseModel):
    """An integration event: a fact in the past tense, frozen, additive within a version."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str] = ""
    event_version: ClassVar[int] = 0
    # Name of the payload field that identifies the aggregate (order is kept per aggregate).
    aggregate_field: ClassVar[str] = ""
    # The payload holds a secret (a sign-in code) and an `expires_at`: its outbox row is
    # deleted once published, or once expired if it never is (shared/messaging/relay.py).
    carries_secret: ClassVar[bool] = False

    @classmethod
    def routing_key(cls) -> str:
        """Return `<type>.v<version>`, the routing key on the topic exchange."""
        return f"{cls.event_type}.v{cls.event_version}"

    def aggregate_id(self) -> str:
        """Return the aggregate this event belongs to."""
        return str(getattr(self, self.aggregate_field)) if self.aggregate_field else ""


E = TypeVar("E", bound=Event)


def event(event_type: str, version: int, *, aggregate: str) -> Any:
    """Declare an event class: its type, schema version and aggregate field.

    Declaring does not register: the catalogue's EVENTS list does (shared/events/catalog.py).
    """

    def declare(cls: type[E]) -> type[E]:
        cls.event_type = event_type
        cls.event_version = version
        cls.aggregate_field = aggregate
        if aggregate not in cls.model_fields:
            raise TypeError(f"{cls.__name__}: aggregate field {aggregate!r} is not a field")
        return cls

    return declare


class Envelope(BaseModel):
    """What travels on the wire: metadata plus the event's data."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    message_id: UUID = Field(default_factory=new_id)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str
    causation_id: str | None = None
    traceparent: str | None = None
    aggregate_id: str = ""
    data: dict[str, Any]

    @property
    def routing_key(self) -> str:
        """Return `<type>.v<version>`."""
        return f"{self.type}.v{self.version}"

    @classmethod
    def wrap(
        cls,
        payload: Event,
        *,
        producer: str,
        correlation_id: str,
        causation_id: str | None = None,
        traceparent: str | None = None,
        message_id: UUID | None = None,
    ) -> Envelope:
        """Wrap an event in a new envelope."""
        return cls(
            message_id=message_id or new_id(),
            type=payload.event_type,
            version=payload.event_version,
            producer=producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            traceparent=traceparent,
            aggregate_id=payload.aggregate_id(),
            data=payload.model_dump(mode="json"),
        )

    def headers(self) -> dict[str, str]:
        """Return AMQP headers that let tools route and trace without parsing the body."""
        headers = {
            "x-correlation-id": self.correlation_id,
            "x-producer": self.producer,
            "x-aggregate-id": self.aggregate_id,
        }
        if self.causation_id:
            headers["x-causation-id"] = self.causation_id
        if self.traceparent:
            headers["traceparent"] = self.traceparent
        return headers
