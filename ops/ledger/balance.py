"""Balance each enrolment's history and each passing result against what followed from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from ops.ledger.model import (
    AggregateEvent,
    Certificate,
    HistoryEvent,
    LedgerRow,
    Report,
    Result,
)
from ops.ledger.rules import CERTIFICATE_ISSUED, EventKey, NotifyRules, judge_event

# The event that left a certificate in its status when its seq is past the issue (seq 1).
_LAST_EVENT = {"valid": "certificate.reinstated", "suspended": "certificate.suspended",
               "revoked": "certificate.revoked"}
# What each family of events is called in the counts, and the key naming its aggregate.
_FAMILIES = {"enrollment": ("enrolment", "enrollment"), "application": ("application",
             "application"), "survey": ("survey", "survey")}
# A live certificate in one of these states stands for a passing result.
_STANDING = frozenset({"pending", "valid", "suspended"})
CERTIFICATE_FAMILY = "certificate."


def enrollments(
    report: Report, history: Sequence[HistoryEvent], rows: Mapping[EventKey, list[LedgerRow]],
    *, rules: NotifyRules, cutoff: datetime, held: set[EventKey], opted_out: set[UUID],
) -> None:
    """Judge every message an enrolment's events call for."""
    report.counts["enrolments"] = len({e.enrollment_id for e in history})
    owed(report, [e.event for e in history], rows, rules=rules, cutoff=cutoff, held=held,
         opted_out=opted_out)


def owed(
    report: Report, events: Sequence[AggregateEvent], rows: Mapping[EventKey, list[LedgerRow]],
    *, rules: NotifyRules, cutoff: datetime, held: set[EventKey], opted_out: set[UUID],
) -> None:
    """Judge every message the events of enrolments, lottery applications or surveys call
    for; counted per family (`enrolment messages sent`, `survey messages sent`, ...)."""
    later: dict[UUID, list[tuple[str, int]]] = defaultdict(list)
    for event in events:
        later[event.aggregate_id].append((event.event_type, event.seq))
    for event in events:
        if event.event_type not in rules.notified:
            continue
        label, subject = _FAMILIES[event.family]
        if event.at > cutoff:
            report.counts[f"{label} messages too recent to judge"] += 1
            continue
        key = (str(event.aggregate_id), event.event_type, event.seq)
        verdict = judge_event(
            report, rows.get(key, []),
            subject={subject: event.aggregate_id, "event": event.event_type, "seq": event.seq},
            later=later[event.aggregate_id], held=key in held,
            opted_out=event.trainee_id in opted_out,
        )
        report.counts[f"{label} messages {verdict}"] += 1


def certificates(
    report: Report, results: Sequence[Result], live: Sequence[Certificate],
    rows: Iterable[LedgerRow], *, cutoff: datetime, held: set[str], opted_out: set[UUID],
) -> None:
    """Match every released passing result with one live certificate and its message."""
    by_enrollment = {c.enrollment_id: c for c in live}
    issued_rows: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        if row.source_type == CERTIFICATE_ISSUED:
            issued_rows[row.aggregate_id].append(row)
    report.counts["released passing results"] = len(results)
    for result in results:
        if result.released_at > cutoff:
            continue
        certificate = by_enrollment.get(result.enrollment_id)
        if certificate is None or certificate.status not in _STANDING | {"revoked"}:
            state = certificate.status if certificate else "none"
            report.add("result_without_certificate", f"live certificate: {state}",
                       enrollment=result.enrollment_id)
            continue
        if certificate.result_version < result.result_version:
            report.add("certificate_of_older_result",
                       f"result v{result.result_version}, certificate of "
                       f"v{certificate.result_version}",
                       enrollment=result.enrollment_id, certificate=certificate.id)
        _certificate_message(report, certificate, issued_rows, cutoff=cutoff, held=held,
                             opted_out=certificate.holder_user_id in opted_out)
    passing = {r.enrollment_id for r in results}
    for certificate in live:
        if (certificate.status in _STANDING and certificate.created_at <= cutoff
                and certificate.enrollment_id not in passing):
            report.add("certificate_without_passing_result", certificate.status,
                       certificate=certificate.id, enrollment=certificate.enrollment_id)


def _certificate_message(
    report: Report, certificate: Certificate, rows: Mapping[str, list[LedgerRow]], *,
    cutoff: datetime, held: set[str], opted_out: bool,
) -> None:
    if certificate.issued_at is None or certificate.issued_at > cutoff:
        return  # pending approval, or too recent: no message is owed yet
    aggregate = str(certificate.id)
    verdict = judge_event(
        report, rows.get(aggregate, []),
        subject={"certificate": certificate.id, "event": CERTIFICATE_ISSUED},
        later=[(_LAST_EVENT.get(certificate.status, ""), certificate.seq)],
        held=aggregate in held, opted_out=opted_out,
    )
    report.counts[f"certificate messages {verdict}"] += 1


def orphans(
    report: Report, events: Iterable[AggregateEvent], certificate_ids: set[UUID],
    rows: Iterable[LedgerRow], *, cutoff: datetime,
) -> None:
    """Report messages written for an event no service's records know (from nowhere).

    `events`: every enrolment, lottery-application and survey event enrollment records."""
    known_events = {(str(e.aggregate_id), e.event_type, e.seq) for e in events}
    known = {str(c) for c in certificate_ids}
    for row in rows:
        if row.created_at > cutoff:
            continue
        if row.source_type.startswith(CERTIFICATE_FAMILY):
            found = row.aggregate_id in known
        else:
            found = (row.aggregate_id, row.source_type, row.seq) in known_events
        if not found:
            report.add("notification_without_event", "no such event in the producer's records",
                       notification=row.id, event=row.source_type, aggregate=row.aggregate_id,
                       seq=row.seq)
