"""What balances and what does not: pure functions over what the databases hold.

Which events call for a message, and which of them change an aggregate's state (and so make
its older pending messages pointless), come from the notification service's own event specs,
the table its intake works from; the checker keeps no list of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ops.ledger.model import (
    ACCOUNTED,
    IN_FLIGHT,
    SENT,
    EventIdentity,
    InboxEntry,
    LedgerRow,
    OutboxRow,
    ParkedQueue,
    Report,
)
from services.notification.domain import superseding
from services.notification.templates.variables import SPECS

CERTIFICATE_ISSUED = "certificate.issued"
EventKey = tuple[str, str, int | None]  # aggregate id, event type, seq


@dataclass(frozen=True, slots=True)
class NotifyRules:
    """The event types the notification service sends messages for."""

    notified: frozenset[str]


def notify_rules() -> NotifyRules:
    """Read the rules from the notification service's event specs (sign-in codes aside)."""
    specs = [s for s in SPECS if not s.otp]
    return NotifyRules(notified=frozenset(s.event_type for s in specs))


def is_sent(row: LedgerRow) -> bool:
    """Tell whether the message left: a provider took it, or the sink holds it."""
    return row.status in SENT or row.in_sink


def overtaken(row: LedgerRow, later: Iterable[tuple[str, int]]) -> bool:
    """Tell whether a newer event of the row's aggregate makes its message pointless.

    `later`: (event type, seq) of the aggregate's events. The rule is the notification
    service's own table (services/notification/domain/superseding.py), not a copy.
    """
    if row.seq is None:
        return False
    pointless = superseding.pointless_once(row.source_type)
    return any(seq > row.seq and event_type in pointless for event_type, seq in later)


def by_event(rows: Iterable[LedgerRow]) -> dict[EventKey, list[LedgerRow]]:
    """Group ledger rows by the event they were written for (fallback rows included)."""
    grouped: dict[EventKey, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.aggregate_id, row.source_type, row.seq)].append(row)
    return grouped


def judge_event(
    report: Report, rows: Sequence[LedgerRow], *, subject: dict[str, object],
    later: Iterable[tuple[str, int]], held: bool, opted_out: bool,
) -> str:
    """Decide what became of one message an event calls for; record what does not balance."""
    for row in rows:
        if row.status == "superseded" and not overtaken(row, later):
            report.add("superseded_without_newer_state",
                       "no newer event of its aggregate makes it pointless",
                       notification=row.id, **subject)
    if not rows:
        verdict = "held_in_outbox" if held else "opted_out" if opted_out else "missing"
        if verdict == "missing":
            report.add("missing_notification", "no ledger row for this event", **subject)
        return verdict
    if any(is_sent(r) for r in rows):
        return "sent"
    waiting = [r for r in rows if r.status in IN_FLIGHT]
    if waiting and all(r.status == "deferred" and r.not_before > report.checked_at
                       for r in waiting):
        return "scheduled"  # held by a documented rule (quiet hours, a daily limit) until then
    if waiting:
        return "in_flight"  # a row waiting too long is reported by stuck_rows
    if any(r.status in ("superseded", "coalesced") for r in rows) or all(
        r.status in ACCOUNTED for r in rows
    ):
        return "accounted"
    codes = ",".join(sorted({r.error_code or r.status for r in rows}))
    report.add("undelivered", f"every channel failed: {codes}",
               notifications=",".join(str(r.id) for r in rows), **subject)
    return "undelivered"


def duplicate_rows(report: Report, rows: Iterable[LedgerRow]) -> None:
    """Report messages that left twice: one event, one recipient, one channel, two sent rows."""
    sent: dict[tuple[EventKey, str, str], list[LedgerRow]] = defaultdict(list)
    for row in rows:
        if is_sent(row):
            event: EventKey = (row.aggregate_id, row.source_type, row.seq)
            if row.seq is None:  # no order within the aggregate: the message is the event
                event = (row.aggregate_id, row.source_type, None)
            sent[(event, row.recipient_key, row.channel)].append(row)
    for (event, _, channel), twins in sent.items():
        if len(twins) > 1:
            report.add(
                "duplicate_notification", f"{len(twins)} sent to {twins[0].recipient_masked}",
                aggregate=event[0], event=event[1], seq=event[2], channel=channel,
                notifications=",".join(str(r.id) for r in twins),
                source_messages=",".join(sorted({str(r.source_message_id) for r in twins})),
            )


def stuck_rows(report: Report, rows: Iterable[LedgerRow], *, cutoff: datetime) -> None:
    """Report rows due before the cutoff but still not sent, and coalesced rows with no twin."""
    ids = set()
    rows = list(rows)
    for row in rows:
        ids.add(row.id)
        waiting_since = row.not_before if row.status in ("queued", "deferred") else row.updated_at
        if row.status in IN_FLIGHT and waiting_since <= cutoff and not row.in_sink:
            report.add("stuck_notification", f"{row.status} since {waiting_since:%H:%M:%S}",
                       notification=row.id, event=row.source_type, aggregate=row.aggregate_id,
                       channel=row.channel, status=row.status)
    for row in rows:
        if row.status == "coalesced" and row.related_id not in ids:
            report.add("coalesced_without_twin", "the message it joined is not in the ledger",
                       notification=row.id, related=row.related_id)


def stuck_outbox(report: Report, rows: Iterable[OutboxRow], *, cutoff: datetime) -> None:
    """Report outbox rows the relay has not published although they are old enough."""
    for row in rows:
        if row.created_at <= cutoff:
            kind = "parked_outbox_row" if row.status == "parked" else "stuck_outbox_row"
            report.add(kind, f"{row.routing_key} written {row.created_at:%H:%M:%S}",
                       service=row.service, message=row.message_id, aggregate=row.aggregate_id)


def inbox_duplicates(report: Report, entries: Iterable[InboxEntry]) -> None:
    """Report one event consumed twice by one consumer under two message ids."""
    seen: dict[tuple[str, EventIdentity], list[InboxEntry]] = defaultdict(list)
    for entry in entries:
        seen[(entry.consumer, entry.identity)].append(entry)
    for (consumer, identity), twins in seen.items():
        if len(twins) > 1:
            report.add(
                "inbox_duplicate", f"{len(twins)} messages carry one event",
                consumer=consumer, event=identity.type, aggregate=identity.aggregate_id,
                seq=identity.seq, messages=",".join(sorted(str(t.message_id) for t in twins)),
            )


def parked_messages(report: Report, queues: Iterable[ParkedQueue]) -> None:
    """Report every message waiting in `.error` or `.skipped`, and parking queues missing."""
    for queue in queues:
        if queue.depth is None:
            report.add("queue_missing", "run `jiangxin topology`", queue=queue.queue)
        elif queue.depth:
            report.add(
                "parked_messages", f"{queue.depth} waiting: {', '.join(sorted(set(queue.types)))}",
                queue=queue.queue, messages=",".join(queue.message_ids),
            )
