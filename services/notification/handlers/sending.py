"""Send claimed rows through the providers (failover, breakers), outside any transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.notification.deps import Deps
from services.notification.domain.decisions import decide, expired
from services.notification.domain.model import Channel, Decision, LedgerRow, Status
from services.notification.handlers.outcomes import working_on
from services.notification.providers.base import EmailMessage, Outcome, SendResult, SmsMessage
from services.notification.templates.registry import EmailHtml
from shared.logging import get_logger

log = get_logger(__name__)


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
        return decide(row, [failure], policy=deps.policy, now=deps.clock.now())


async def send(row: LedgerRow, *, deps: Deps) -> Decision:
    """Call the providers for one claimed row (never inside a transaction) and decide."""
    now = deps.clock.now()
    if row.expired(now):  # held back by a retry, a limit or an outage: too late now
        return expired(Decision(row=row, status=Status.FAILED, not_before=now))
    if row.channel is Channel.SMS:
        results = await _send_sms(row, deps)
    else:
        results = [await _send_email(row, deps)]
    return decide(row, results, policy=deps.policy, now=deps.clock.now())


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
        f"{deps.public_base_url.rstrip('/')}/api/v1/notifications/unsubscribe/{row.unsubscribe_token}"
        if row.unsubscribe_token else None
    )
    subject = row.subject or ""
    return EmailMessage(
        id=row.id, to=row.recipient, subject=subject,
        text=deps.registry.text_with_footer(row.body, row.locale, url),
        html=deps.registry.render_html(EmailHtml(subject, row.body, row.locale, url)),
        message_id=f"<{row.id}@{deps.mail_domain}>", unsubscribe_url=url,
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
