"""What a send attempt's results make of a ledger row: sent, retried, deferred or given up.

Pure: the provider answers and the time in, the row's next state out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from services.notification.domain.model import Attempt, Decision, LedgerRow, Status
from services.notification.domain.rules import Policy, next_morning, quiet_release, retry_at, zone
from services.notification.providers.base import Outcome, SendResult
from shared.logging import scrub_text

# Provider limits per number: how long to wait before the next try.
LIMIT_WAIT = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": timedelta(minutes=1),
    "LimitExceeded.PhoneNumberOneHourLimit": timedelta(hours=1),
}
# The error code of a row given up because it would go out after its expiry (a sign-in code).
EXPIRED = "expired"


def decide(
    row: LedgerRow, results: Sequence[SendResult], *, policy: Policy, now: datetime
) -> Decision:
    """Turn provider results into the row's next state."""
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
            return rate_limited(base, last, policy=policy, now=now)
    return retried(base, policy=policy, now=now)


def retried(base: Decision, *, policy: Policy, now: datetime) -> Decision:
    """Queue the row for another try after its backoff, or give it up when it is out of tries."""
    row = base.row
    if row.attempts >= policy.max_send_attempts:
        return replace(base, announce="failed", fall_back=True)
    when = retry_at(now, row.attempts, policy.retry_backoff_s)
    if not row.critical:
        tz = zone(row.timezone, policy.default_timezone)
        when = quiet_release(when, tz, policy.quiet) or when
    if row.expired(when):
        return expired(base)
    return replace(base, status=Status.QUEUED, not_before=when)


def rate_limited(base: Decision, last: SendResult, *, policy: Policy, now: datetime) -> Decision:
    """Wait out a provider's per-number limit, or use the next channel when there is one."""
    row = base.row
    if row.fallbacks:
        return replace(base, status=Status.SUPPRESSED, fall_back=True)
    wait = LIMIT_WAIT.get(last.code)
    if wait is None and row.critical:
        # A critical message must go at once or not at all: never wait for the next morning.
        return replace(base, announce="failed")
    tz = zone(row.timezone, policy.default_timezone)
    when = now + wait if wait else next_morning(now, tz, policy.quiet)
    if row.expired(when):
        return expired(base)
    return replace(base, status=Status.DEFERRED, not_before=when)


def expired(base: Decision) -> Decision:
    """Give a row up: by the time it could go, it has expired (nothing is sent)."""
    return replace(base, status=Status.FAILED, error_code=EXPIRED, announce="failed",
                   permanent=True, fall_back=False)
