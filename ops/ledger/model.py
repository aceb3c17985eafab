"""What the ledger check reads from each database, and what it reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

# Ledger statuses by what they mean for the balance (see services/notification/README.md).
SENT = frozenset({"submitted", "delivered"})
IN_FLIGHT = frozenset({"queued", "deferred", "sending", "unknown"})
# Written by a documented rule instead of being sent: newer news, a twin sent moments ago,
# a rate limit that moved the message to another channel.
ACCOUNTED = frozenset({"superseded", "coalesced", "suppressed"})


@dataclass(frozen=True, slots=True)
class AggregateEvent:
    """One event of an enrolment, a lottery application or a survey (enrollment database)."""

    aggregate_id: UUID
    trainee_id: UUID
    seq: int
    event_type: str
    at: datetime

    @property
    def family(self) -> str:
        """Return what the event is about: `enrollment`, `application` or `survey`."""
        return self.event_type.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One event an enrolment's audit trail says was published (enrollment database)."""

    enrollment_id: UUID
    trainee_id: UUID
    seq: int
    event_type: str
    at: datetime

    @property
    def event(self) -> AggregateEvent:
        """Return the event with its enrolment as the aggregate."""
        return AggregateEvent(self.enrollment_id, self.trainee_id, self.seq, self.event_type,
                              self.at)


@dataclass(frozen=True, slots=True)
class Result:
    """A released passing result (enrollment database)."""

    enrollment_id: UUID
    result_version: int
    released_at: datetime


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate nothing has replaced (certification database)."""

    id: UUID
    enrollment_id: UUID
    holder_user_id: UUID | None
    status: str
    seq: int
    issued_at: datetime | None
    created_at: datetime
    result_version: int  # the version of the result it was issued for


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """A notification ledger row, without the recipient's address (notification database)."""

    id: UUID
    source_message_id: UUID
    source_type: str
    aggregate_id: str
    seq: int | None
    channel: str
    recipient_key: str  # a digest of the address: equal for equal addresses, nothing more
    recipient_masked: str
    status: str
    error_code: str | None
    related_id: UUID | None
    not_before: datetime
    created_at: datetime
    updated_at: datetime
    in_sink: bool  # the sink provider holds a copy of it


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """An outbox row that is not sent yet (any database)."""

    service: str
    message_id: UUID
    routing_key: str
    aggregate_id: str
    seq: int | None
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventIdentity:
    """Which fact a message carries: two message ids with one identity are one event twice."""

    type: str
    aggregate_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A message a consumer processed, with the event its producer's outbox says it carried."""

    service: str
    consumer: str
    message_id: UUID
    identity: EventIdentity


@dataclass(frozen=True, slots=True)
class ParkedQueue:
    """A parking queue (`.error` or `.skipped`) and what waits in it."""

    queue: str
    depth: int | None  # None: the queue does not exist
    message_ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One thing that does not balance, named by the ids an operator needs to find it."""

    kind: str
    ids: dict[str, str]
    detail: str = ""

    def line(self) -> str:
        """Return the discrepancy as one readable line."""
        ids = " ".join(f"{k}={v}" for k, v in self.ids.items())
        return f"{self.kind:<34} {ids}" + (f"  ({self.detail})" if self.detail else "")


@dataclass
class Report:
    """The outcome of a check: counts of what balanced and every discrepancy."""

    older_than_s: float
    checked_at: datetime
    counts: Counter[str] = field(default_factory=Counter)
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether everything balances."""
        return not self.discrepancies

    def add(self, kind: str, detail: str = "", **ids: object) -> None:
        """Record a discrepancy."""
        self.discrepancies.append(Discrepancy(kind, {k: str(v) for k, v in ids.items()}, detail))

    def as_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "ok": self.ok,
            "older_than_s": self.older_than_s,
            "checked_at": self.checked_at.isoformat(),
            "counts": dict(sorted(self.counts.items())),
            "discrepancies": [asdict(d) for d in self.discrepancies],
        }

    def text(self) -> str:
        """Return the report as the operator reads it."""
        verdict = "balances" if self.ok else f"{len(self.discrepancies)} discrepancies"
        lines = [f"ledger check: {verdict} (judging what is older than {self.older_than_s:g} s)"]
        lines += [f"  {name:<34} {value}" for name, value in sorted(self.counts.items())]
        lines += [f"- {d.line()}" for d in self.discrepancies]
        return "\n".join(lines)
