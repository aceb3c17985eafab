"""What callers ask the notification service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import Event


@dataclass(frozen=True, slots=True)
class Notify:
    """Tell the people an event concerns (one ledger row per channel actually used)."""

    source_message_id: UUID
    event: Event
    correlation_id: str | None = None
    traceparent: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """One delivery report from a provider, normalised."""

    provider: str
    key: str
    delivered: bool
    code: str
    out_id: str | None = None
    provider_message_id: str | None = None
    phone: str | None = None
    at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordReceipts:
    """Apply a batch of delivery reports."""

    provider: str
    receipts: list[Receipt]


class UpdatePreferences(BaseModel):
    """Change which channels the signed-in person accepts (omitted fields stay)."""

    model_config = ConfigDict(extra="forbid")

    sms: bool | None = None
    email: bool | None = None
    preferred: Literal["sms", "email"] | None = None


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """Stop non-critical email for whoever received the message with this token."""

    token: str
