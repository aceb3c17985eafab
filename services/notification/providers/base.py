"""The provider ports and what a send attempt can come back with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable
from uuid import UUID


class Outcome(StrEnum):
    """What a provider call tells us about the message."""

    ACCEPTED = "accepted"  # taken; a receipt will say whether it arrived
    DELIVERED = "delivered"  # handed over for good (sink, SMTP 250)
    TRANSIENT = "transient"  # known not sent; the same provider may work later
    REJECTED = "rejected"  # known not sent; this provider will not take it (config, quota)
    RATE_LIMITED = "rate_limited"  # known not sent; the recipient hit a provider limit
    INVALID_RECIPIENT = "invalid_recipient"  # known not sent; the address can never work
    PERMANENT = "permanent"  # known not sent; this message can never go this way (SMTP 5xx)
    UNKNOWN = "unknown"  # the request may have been taken: never resend blindly

    @property
    def not_sent(self) -> bool:
        """Tell whether the provider certainly did not send the message."""
        return self not in {Outcome.ACCEPTED, Outcome.DELIVERED, Outcome.UNKNOWN}


@dataclass(frozen=True, slots=True)
class SendResult:
    """One provider call's result."""

    outcome: Outcome
    provider: str
    provider_message_id: str | None = None
    code: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """An SMS as the providers take it: template, ordered parameters and our id."""

    id: UUID
    phone: str
    event_type: str
    locale: str
    params: list[tuple[str, str]]
    text: str


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """An email ready to go: both parts and the headers that stay stable across retries."""

    id: UUID
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    unsubscribe_url: str | None
    event_type: str


class Lookup(StrEnum):
    """What the provider's own records say about one message."""

    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"  # taken, no final report yet
    NOT_FOUND = "not_found"  # the provider never took it
    ERROR = "error"  # the question itself failed; ask again later


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The answer of a status query."""

    state: Lookup
    code: str = ""


@runtime_checkable
class StatusQuery(Protocol):
    """A provider that can say what became of a message we are unsure about."""

    name: str

    async def look_up(self, *, id: UUID, phone: str, sent_at: datetime) -> LookupResult: ...


class SmsProvider(Protocol):
    """Send one SMS."""

    name: str

    async def send(self, message: SmsMessage) -> SendResult: ...


class EmailProvider(Protocol):
    """Send one email."""

    name: str

    async def send(self, message: EmailMessage) -> SendResult: ...


def template_code(templates: dict[str, str], event_type: str, locale: str) -> str | None:
    """Return the provider's approved template for an event in a locale (or its default)."""
    return templates.get(f"{event_type}:{locale}") or templates.get(event_type)
