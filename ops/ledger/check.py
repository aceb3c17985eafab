"""Read the three databases and the broker, then balance what happened against what is owed.

Reads go downstream in the order messages travel (enrollment, certification, notification,
then the broker), so whatever an earlier read saw has had its chance to reach a later one.
Anything younger than `older_than_s` is not judged: it may still be on its way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from ops.ledger import balance, broker, rules, views
from ops.ledger.model import EventIdentity, InboxEntry, OutboxRow, Report
from ops.ledger.rules import CERTIFICATE_ISSUED, EventKey

ENROLLMENT, CERTIFICATION, NOTIFICATION = "enrollment", "certification", "notification"


@dataclass(frozen=True)
class Platform:
    """Where the check reads: each service's database, the broker and its queues."""

    databases: Mapping[str, str]
    amqp_url: str
    exchange: str
    parking_queues: tuple[str, ...]
    work_queues: tuple[str, ...] = ()


@dataclass
class _Messaging:
    """What every service database says about its messages."""

    unsent: list[OutboxRow] = field(default_factory=list)
    identities: dict[UUID, EventIdentity] = field(default_factory=dict)
    inbox: list[tuple[str, str, UUID]] = field(default_factory=list)  # service, consumer, id


async def check(platform: Platform, *, older_than_s: float) -> Report:
    """Return the report of one check."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=older_than_s)
    report = Report(older_than_s=older_than_s, checked_at=now)
    messaging = _Messaging()
    async with views.read_only(platform.databases[ENROLLMENT]) as conn:
        history = await views.history(conn)
        others = await views.other_events(conn)
        results = await views.passing_results(conn)
        await _read_messaging(conn, ENROLLMENT, messaging)
    async with views.read_only(platform.databases[CERTIFICATION]) as conn:
        live = await views.live_certificates(conn)
        certificate_ids = await views.certificate_ids(conn)
        await _read_messaging(conn, CERTIFICATION, messaging)
    async with views.read_only(platform.databases[NOTIFICATION]) as conn:
        ledger = await views.ledger(conn)
        opted_out = await views.opted_out(conn)
        await _read_messaging(conn, NOTIFICATION, messaging)
    parked, work = await broker.read_queues(
        platform.amqp_url, exchange=platform.exchange, parking=platform.parking_queues,
        work=platform.work_queues,
    )
    held = {_held_key(row) for row in messaging.unsent}
    rows = rules.by_event(ledger)
    balance.enrollments(report, history, rows, rules=rules.notify_rules(), cutoff=cutoff,
                       held=held, opted_out=opted_out)
    balance.owed(report, others, rows, rules=rules.notify_rules(), cutoff=cutoff, held=held,
                 opted_out=opted_out)
    balance.certificates(report, results, live, ledger, cutoff=cutoff,
                         held={k[0] for k in held if k[1] == CERTIFICATE_ISSUED},
                         opted_out=opted_out)
    balance.orphans(report, [*(e.event for e in history), *others], certificate_ids, ledger,
                    cutoff=cutoff)
    rules.duplicate_rows(report, ledger)
    rules.stuck_rows(report, ledger, cutoff=cutoff)
    rules.stuck_outbox(report, messaging.unsent, cutoff=cutoff)
    rules.inbox_duplicates(report, _inbox_entries(messaging))
    rules.parked_messages(report, parked)
    _count(report, ledger=len(ledger), messaging=messaging, work=work)
    return report


async def _read_messaging(conn: asyncpg.Connection, service: str, into: _Messaging) -> None:
    into.unsent += await views.unsent_outbox(conn, service)
    into.identities.update(await views.identities(conn))
    into.inbox += [(service, consumer, mid) for consumer, mid in await views.inbox(conn)]


def _held_key(row: OutboxRow) -> EventKey:
    return (row.aggregate_id, event_type(row.routing_key), row.seq)


def event_type(routing_key: str) -> str:
    """Return the event type of a routing key `<type>.v<version>`."""
    return routing_key.rsplit(".v", 1)[0]


def _inbox_entries(messaging: _Messaging) -> list[InboxEntry]:
    return [
        InboxEntry(service, consumer, mid, identity)
        for service, consumer, mid in messaging.inbox
        if (identity := messaging.identities.get(mid)) is not None
    ]


def _count(
    report: Report, *, ledger: int, messaging: _Messaging, work: Mapping[str, int | None]
) -> None:
    report.counts["ledger rows"] = ledger
    report.counts["outbox rows not yet sent"] = len(messaging.unsent)
    report.counts["inbox rows"] = len(messaging.inbox)
    for queue, depth in work.items():
        report.counts[f"waiting in {queue}"] = depth if depth is not None else -1
