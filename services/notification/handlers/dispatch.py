"""Send claimed rows through the providers (failover, breaker) and record what happened."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from services.notification import repository
from services.notification.domain.model import (
    Attempt,
    Channel,
    Decision,
    LedgerRow,
    Status,
)
from services.notification.domain.rules import next_morning, quiet_release, retry_at, zone
from services.notification.handlers.deps import Deps
from services.notification.handlers.outcomes import (
    OutcomeBatch,
    announce_delivered,
    announce_failed,
    fall_back,
    working_on,
)
from services.notification.providers.base import (
    EmailMessage,
    Lookup,
    LookupResult,
    Outcome,
    SendResult,
    SmsMessage,
    StatusQuery,
)
from services.notification.repository import codes
from services.notification.templates.registry import EmailHtml
from shared.logging import get_logger, scrub_text
from shared.messaging.outbox import OutboxWriter
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)

# Provider limits per number: how long to wait before the next try.
_LIMIT_WAIT = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": timedelta(minutes=1),
    "LimitExceeded.PhoneNumberOneHourLimit": timedelta(hours=1),
}
# The error code of a row given up because it would go out after its expiry (a sign-in code).
EXPIRED = "expired"


async def send(row: LedgerRow, *, deps: Deps) -> Decision:
    """Call the providers for one claimed row (never inside a transaction) and decide."""
    now = deps.clock.now()
    if row.expired(now):  # held back by a retry, a limit or an outage: too late now
        return _expired(Decision(row=row, status=Status.FAILED, not_before=now))
    if row.channel is Channel.SMS:
        results = await _send_sms(row, deps)
    else:
        results = [await _send_email(row, deps)]
    return decide(row, results, deps=deps, now=deps.clock.now())


async def _send_sms(row: LedgerRow, deps: Deps) -> list[SendResult]:
    message = SmsMessage(
        id=row.id, phone=row.recipient, event_type=row.source_type, locale=row.locale,
        params=row.params, text=row.body,
    )
    results: list[SendResult] = []
    for provider, breaker in deps.sms:
        if not breaker.allow():
            results.append(SendResult(Outcome.TRANSIENT, provider.name, code="circuit_open"))
            continue
        _log_submission(row, provider.name)
        result = await provider.send(message)
        results.append(result)
        if result.outcome in (Outcome.TRANSIENT, Outcome.REJECTED, Outcome.UNKNOWN):
            breaker.record_failure()
        else:
            breaker.record_success()
        # Fail over only when this provider certainly did not send the message.
        if result.outcome not in (Outcome.TRANSIENT, Outcome.REJECTED):
            break
    return results


def email_message(row: LedgerRow, deps: Deps) -> EmailMessage:
    """Build the email of a ledger row; Message-ID derives from the row id (stable on retry)."""
    url = (
        f"{deps.policy.public_base_url.rstrip('/')}/api/v1/notifications/unsubscribe/{row.unsubscribe_token}"
        if row.unsubscribe_token else None
    )
    subject = row.subject or ""
    return EmailMessage(
        id=row.id, to=row.recipient, subject=subject,
        text=deps.registry.text_with_footer(row.body, row.locale, url),
        html=deps.registry.render_html(EmailHtml(subject, row.body, row.locale, url)),
        message_id=f"<{row.id}@{deps.policy.mail_domain}>", unsubscribe_url=url,
        event_type=row.source_type,
    )


async def _send_email(row: LedgerRow, deps: Deps) -> SendResult:
    if deps.email is None:
        return SendResult(Outcome.REJECTED, "none", code="no_email_provider")
    _log_submission(row, deps.email.name)
    return await deps.email.send(email_message(row, deps))


def _log_submission(row: LedgerRow, provider: str) -> None:
    log.info("notification_submitted", channel=row.channel.value, provider=provider,
             recipient=row.recipient_masked, attempt=row.attempts)


def decide(row: LedgerRow, results: Sequence[SendResult], *, deps: Deps, now: datetime) -> Decision:
    """Turn provider results into the row's next state (pure)."""
    attempts = tuple(
        Attempt(row.id, r.provider, r.outcome.value, r.code, scrub_text(r.detail)) for r in results
    )
    last = results[-1] if results else SendResult(Outcome.TRANSIENT, "none", code="no_provider")
    base = Decision(
        row=row, status=Status.FAILED, not_before=now, attempts=attempts, provider=last.provider,
        error_code=last.code or None, last_error=scrub_text(last.detail)[:500] or None,
    )
    match last.outcome:
        case Outcome.ACCEPTED:
            return replace(base, status=Status.SUBMITTED,
                           provider_message_id=last.provider_message_id)
        case Outcome.DELIVERED:
            return replace(base, status=Status.DELIVERED, announce="delivered",
                           provider_message_id=last.provider_message_id)
        case Outcome.UNKNOWN:
            return replace(base, status=Status.UNKNOWN)
        case Outcome.INVALID_RECIPIENT | Outcome.PERMANENT:
            return replace(base, announce="failed", permanent=True, fall_back=True)
        case Outcome.RATE_LIMITED:
            return _rate_limited(base, last, deps=deps, now=now)
    if row.attempts >= deps.policy.max_send_attempts:
        return replace(base, announce="failed", fall_back=True)
    when = retry_at(now, row.attempts, deps.policy.retry_backoff_s)
    if not row.critical:
        tz = zone(row.timezone, deps.policy.default_timezone)
        when = quiet_release(when, tz, deps.policy.quiet) or when
    if row.expired(when):
        return _expired(base)
    return replace(base, status=Status.QUEUED, not_before=when)


def _rate_limited(base: Decision, last: SendResult, *, deps: Deps, now: datetime) -> Decision:
    row = base.row
    if row.fallbacks:
        return replace(base, status=Status.SUPPRESSED, fall_back=True)
    wait = _LIMIT_WAIT.get(last.code)
    if wait is None and row.critical:
        # A critical message must go at once or not at all: never wait for the next morning.
        return replace(base, announce="failed")
    tz = zone(row.timezone, deps.policy.default_timezone)
    when = now + wait if wait else next_morning(now, tz, deps.policy.quiet)
    if row.expired(when):
        return _expired(base)
    return replace(base, status=Status.DEFERRED, not_before=when)


def _expired(base: Decision) -> Decision:
    """Give a row up: by the time it could go, it has expired (nothing is sent)."""
    return replace(base, status=Status.FAILED, error_code=EXPIRED, announce="failed",
                   permanent=True, fall_back=False)


async def record(
    decisions: Sequence[Decision], *, uow: UnitOfWork, deps: Deps, outbox: OutboxWriter
) -> None:
    """Store decisions, log the calls, publish outcomes, queue fallbacks (one transaction).

    The outcome events of the whole batch go into the outbox in one statement, each carrying
    the journey of its own row.
    """
    now = deps.clock.now()
    updated = await repository.apply_decisions(uow.conn, decisions, now=now)
    await repository.insert_attempts(
        uow.conn, (a for d in decisions for a in d.attempts), now=now
    )
    batch = OutcomeBatch(uow, outbox)
    for d in decisions:
        if d.row.id not in updated:
            continue  # a receipt settled it meanwhile
        with working_on(d.row):
            await _record_one(d, uow=batch, deps=deps, now=now)
    await batch.flush()


async def _record_one(d: Decision, *, uow: UnitOfWork, deps: Deps, now: datetime) -> None:
    _log(d)
    provider = d.provider or "none"
    if d.announce == "delivered":
        await announce_delivered(d.row, provider=provider, at=now, uow=uow)
    elif d.announce == "failed":
        await announce_failed(d.row, provider=provider, reason=d.error_code or "failed",
                              permanent=d.permanent, uow=uow)
    if d.fall_back:
        await fall_back(d.row, uow=uow, deps=deps, now=now)


def _log(d: Decision) -> None:
    level = "warning" if d.status in (Status.FAILED, Status.UNKNOWN) else "info"
    getattr(log, level)(
        "notification_attempted", channel=d.row.channel.value,
        recipient=d.row.recipient_masked, status=d.status.value, provider=d.provider,
        code=d.error_code, attempt=d.row.attempts,
    )


async def send_all(rows: Sequence[LedgerRow], *, deps: Deps, limit: int) -> list[Decision]:
    """Send claimed rows concurrently, at most `limit` at a time."""
    gate = asyncio.Semaphore(limit)

    async def one(row: LedgerRow) -> Decision:
        async with gate:
            with working_on(row):
                return await _send_safely(row, deps=deps)

    return list(await asyncio.gather(*(one(r) for r in rows)))


async def _send_safely(row: LedgerRow, *, deps: Deps) -> Decision:
    try:
        return await send(row, deps=deps)
    except Exception as exc:  # a bug after the call may have left: never resend blindly
        log.exception("notification_send_crashed")
        failure = SendResult(Outcome.UNKNOWN, "none", code="crashed", detail=repr(exc))
        return decide(row, [failure], deps=deps, now=deps.clock.now())


async def claim(*, uow: UnitOfWork, deps: Deps, limit: int) -> tuple[list[LedgerRow], int]:
    """Claim due rows (`sending`) and how many were overtaken by a newer state (superseded).

    The caller commits before any provider call.
    """
    rows, overtaken = await repository.claim_due(uow.conn, now=deps.clock.now(), limit=limit)
    for row in overtaken:
        with working_on(row):
            log.info("notification_overtaken", seq=row.seq, recipient=row.recipient_masked)
    return rows, len(overtaken)


async def reconcile(
    *, uow: UnitOfWork, deps: Deps, stuck_after_s: float, unknown_expires_after_s: float
) -> None:
    """Call interrupted sends unknown; give up on unknowns no receipt resolved in time; mask
    the sign-in codes of settled or expired messages."""
    now = deps.clock.now()
    stuck = await repository.mark_stuck_unknown(
        uow.conn, before=now - timedelta(seconds=stuck_after_s), now=now
    )
    if stuck:
        log.warning("notifications_interrupted", count=stuck)
    expired = await repository.expire_unknown(
        uow.conn, before=now - timedelta(seconds=unknown_expires_after_s), now=now
    )
    for row in expired:
        with working_on(row):
            log.error("notification_unknown_expired", recipient=row.recipient_masked,
                      provider=row.provider)
            await announce_failed(row, provider=row.provider or "none", reason="delivery_unknown",
                                  permanent=False, uow=uow)
    ledger, sink = await codes.mask_spent_codes(uow.conn, now=now)
    if ledger or sink:
        log.info("sign_in_codes_masked", ledger=ledger, sink=sink)


async def unknown_to_check(
    *, uow: UnitOfWork, deps: Deps, after_s: float, limit: int = 50
) -> list[LedgerRow]:
    """Take unknown rows old enough to ask their provider about."""
    now = deps.clock.now()
    return await repository.claim_unknown_checks(
        uow.conn, before=now - timedelta(seconds=after_s), now=now, limit=limit
    )


async def look_up(rows: Sequence[LedgerRow], *, deps: Deps) -> list[tuple[LedgerRow, LookupResult]]:
    """Ask the providers that may hold each row (outside any transaction), where they can
    answer; a row comes back with the provider that answered for it."""
    answers = []
    for row in rows:
        with working_on(row):
            answer = await _ask(row, _who_may_hold(row, deps))
        if answer is not None:
            answers.append(answer)
    return answers


def _who_may_hold(row: LedgerRow, deps: Deps) -> list[StatusQuery]:
    """Return the row's provider; for a send cut off before its provider was recorded (a
    crash), every SMS provider in failover order, but only if each of them can answer:
    otherwise "nobody has it" cannot be known."""
    queries = {p.name: p for p, _ in deps.sms if isinstance(p, StatusQuery)}
    if row.provider is not None:
        return [queries[row.provider]] if row.provider in queries else []
    names = [p.name for p, _ in deps.sms]
    if row.channel is not Channel.SMS or not set(names) <= queries.keys():
        return []
    return [queries[name] for name in names]


async def _ask(
    row: LedgerRow, providers: Sequence[StatusQuery]
) -> tuple[LedgerRow, LookupResult] | None:
    """Return the first answer that knows the message, else "not found" when every provider
    said so; None when there is nobody to ask."""
    answer: LookupResult | None = None
    for provider in providers:
        answer = await provider.look_up(id=row.id, phone=row.recipient, sent_at=row.created_at)
        if answer.state is not Lookup.NOT_FOUND:
            return replace(row, provider=provider.name), answer
    return (row, answer) if answer is not None else None


async def record_lookups(
    answers: Sequence[tuple[LedgerRow, LookupResult]], *, uow: UnitOfWork, deps: Deps
) -> None:
    """Settle unknown rows from what their provider's records say."""
    now = deps.clock.now()
    for row, answer in answers:
        with working_on(row):
            await _record_lookup(row, answer, uow=uow, deps=deps, now=now)


async def _record_lookup(
    row: LedgerRow, answer: LookupResult, *, uow: UnitOfWork, deps: Deps, now: datetime
) -> None:
    provider = row.provider or "none"
    log.info("notification_looked_up", provider=provider, state=answer.state.value,
             code=answer.code)
    if answer.state in (Lookup.DELIVERED, Lookup.FAILED):
        delivered = answer.state is Lookup.DELIVERED
        if not await repository.settle(uow.conn, row.id, delivered=delivered,
                                       code=None if delivered else answer.code,
                                       provider=provider, now=now):
            return
        if delivered:
            await announce_delivered(row, provider=provider, at=now, uow=uow)
        else:
            await announce_failed(row, provider=provider, reason=answer.code, permanent=True,
                                  uow=uow)
            await fall_back(row, uow=uow, deps=deps, now=now)
    elif answer.state is Lookup.PENDING:
        await repository.resolve_unknown(uow.conn, row.id, status=Status.SUBMITTED,
                                         code=None, now=now)
    elif answer.state is Lookup.NOT_FOUND:
        # The provider's own records show it never took the message: sending is safe.
        await repository.resolve_unknown(uow.conn, row.id, status=Status.QUEUED,
                                         code="not_taken_by_provider", now=now)
