"""Channels, ledger statuses and the values a notification is planned from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class Channel(StrEnum):
    """How a message reaches a person."""

    SMS = "sms"
    EMAIL = "email"


class Status(StrEnum):
    """Where a ledger row stands."""

    QUEUED = "queued"
    DEFERRED = "deferred"
    SENDING = "sending"
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SUPERSEDED = "superseded"
    COALESCED = "coalesced"
    SUPPRESSED = "suppressed"


PENDING = frozenset({Status.QUEUED, Status.DEFERRED})
AWAITING_RECEIPT = frozenset({Status.SENDING, Status.SUBMITTED, Status.UNKNOWN})


@dataclass(frozen=True, slots=True)
class Contact:
    """One way to reach the recipient: a channel and a normalised address."""

    channel: Channel
    address: str


@dataclass(frozen=True, slots=True)
class Person:
    """Who a notification is for, as the event describes them."""

    user_id: UUID | None
    name: str
    phone: str | None
    email: str | None
    locale: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Preferences:
    """Which channels a person accepts, and which comes first."""

    sms: bool = True
    email: bool = True
    preferred: Channel = Channel.SMS

    def allows(self, channel: Channel) -> bool:
        """Tell whether the person accepts this channel."""
        return self.sms if channel is Channel.SMS else self.email


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message rendered for one channel, ready to store and send."""

    channel: Channel
    body: str
    subject: str | None = None
    params: list[tuple[str, str]] = field(default_factory=list)
    chars: int | None = None
    segments: int | None = None


@dataclass(frozen=True, slots=True)
class RecentSends:
    """What the ledger says about one recipient's recent SMS (for rate limits)."""

    same_content_id: UUID | None
    same_template_today: int
    last_minute: int
    last_hour: int
    today: int
    last_sent_at: datetime | None


NOTHING_RECENT = RecentSends(None, 0, 0, 0, 0, None)


@dataclass(frozen=True, slots=True)
class Schedule:
    """The decision for a new ledger row: its status, when it may go, and why."""

    status: Status
    not_before: datetime
    reason: str | None = None
    related_id: UUID | None = None


JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """A notification as stored in the ledger."""

    id: UUID
    source_message_id: UUID
    source_type: str
    aggregate_id: str
    seq: int | None
    channel: Channel
    recipient: str
    recipient_masked: str
    recipient_user_id: UUID | None
    pref_key: str
    locale: str
    timezone: str
    critical: bool
    status: Status
    not_before: datetime
    attempts: int
    provider: str | None
    provider_message_id: str | None
    subject: str | None
    body: str
    params: list[tuple[str, str]]
    variables: dict[str, str]
    fallbacks: list[Contact]
    fallback_of: UUID | None
    unsubscribe_token: str | None
    created_at: datetime
    # The source event's journey (None on rows written before it was kept).
    correlation_id: str | None = None
    traceparent: str | None = None
    # After this moment the message is useless and is never sent (a sign-in code's expiry).
    expires_at: datetime | None = None

    def expired(self, at: datetime) -> bool:
        """Tell whether the message must not go out at `at` any more."""
        return self.expires_at is not None and at >= self.expires_at


@dataclass(frozen=True, slots=True)
class Attempt:
    """One provider call made for a notification."""

    notification_id: UUID
    provider: str
    outcome: str
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What becomes of a claimed row after its provider calls."""

    row: LedgerRow
    status: Status
    not_before: datetime
    provider: str | None = None
    provider_message_id: str | None = None
    error_code: str | None = None
    last_error: str | None = None
    attempts: tuple[Attempt, ...] = ()
    announce: str | None = None  # "delivered" | "failed": publish an outcome event
    permanent: bool = False
    fall_back: bool = False
