"""What a send attempt's results make of a ledger row (domain/decisions.py, pure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import uuid4

from services.notification.domain.decisions import EXPIRED, decide, expired, rate_limited
from services.notification.domain.model import Channel, Contact, Decision, LedgerRow, Status
from services.notification.domain.rules import Limits, Policy, QuietHours
from services.notification.providers.base import Outcome, SendResult

# 10:00 in Shanghai: outside the quiet hours (21:00-08:00).
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
POLICY = Policy(quiet=QuietHours(time(21, 0), time(8, 0)), limits=Limits(otp_per_minute=1,
                otp_per_hour=5, otp_per_day=10, same_template_per_day=10,
                same_content_window_s=30),
                default_timezone="Asia/Shanghai", retry_backoff_s=(5.0, 30.0),
                max_send_attempts=3)
EMAIL = Contact(Channel.EMAIL, "a@example.com")


def row(**changes: Any) -> LedgerRow:
    """Return a claimed SMS row on its first attempt, with `changes`."""
    base = LedgerRow(
        id=uuid4(), source_message_id=uuid4(), source_type="enrollment.confirmed",
        aggregate_id="e1", seq=1, channel=Channel.SMS, recipient="+8613800138000",
        recipient_masked="138****8000", recipient_user_id=None, pref_key="phone:+8613800138000",
        locale="zh-CN", timezone="Asia/Shanghai", critical=False, status=Status.SENDING,
        not_before=NOW, attempts=1, provider=None, provider_message_id=None, subject=None,
        body="text", params=[], variables={}, fallbacks=[], fallback_of=None,
        unsubscribe_token=None, created_at=NOW,
    )
    return dataclasses.replace(base, **changes)


def result(outcome: Outcome, code: str = "", provider: str = "aliyun") -> SendResult:
    return SendResult(outcome, provider, provider_message_id="pm-1", code=code)


def test_an_accepted_message_is_submitted_and_a_delivered_one_announced() -> None:
    submitted = decide(row(), [result(Outcome.ACCEPTED)], policy=POLICY, now=NOW)
    delivered = decide(row(), [result(Outcome.DELIVERED)], policy=POLICY, now=NOW)
    assert (submitted.status, submitted.announce, submitted.provider_message_id) == (
        Status.SUBMITTED, None, "pm-1")
    assert (delivered.status, delivered.announce) == (Status.DELIVERED, "delivered")


def test_an_unknown_outcome_is_never_retried_blindly() -> None:
    decision = decide(row(), [result(Outcome.UNKNOWN)], policy=POLICY, now=NOW)
    assert decision.status is Status.UNKNOWN
    assert decision.announce is None


def test_a_permanent_refusal_fails_for_good_and_falls_back() -> None:
    for outcome in (Outcome.PERMANENT, Outcome.INVALID_RECIPIENT):
        decision = decide(row(), [result(outcome)], policy=POLICY, now=NOW)
        assert (decision.status, decision.announce, decision.permanent, decision.fall_back) == (
            Status.FAILED, "failed", True, True)


def test_a_transient_failure_is_queued_after_its_backoff_and_the_last_result_counts() -> None:
    results = [result(Outcome.TRANSIENT, provider="aliyun"),
               result(Outcome.TRANSIENT, provider="tencent")]
    decision = decide(row(attempts=2), results, policy=POLICY, now=NOW)
    assert decision.status is Status.QUEUED
    assert decision.not_before == NOW + timedelta(seconds=30)
    assert decision.provider == "tencent"
    assert [a.provider for a in decision.attempts] == ["aliyun", "tencent"]


def test_no_provider_at_all_counts_as_a_transient_failure() -> None:
    decision = decide(row(), [], policy=POLICY, now=NOW)
    assert (decision.status, decision.error_code) == (Status.QUEUED, "no_provider")


def test_a_retry_of_a_non_critical_message_waits_for_the_end_of_the_quiet_hours() -> None:
    evening = datetime(2026, 3, 2, 12, 59, 58, tzinfo=UTC)  # 20:59:58 in Shanghai
    decision = decide(row(), [result(Outcome.TRANSIENT)], policy=POLICY, now=evening)
    assert decision.not_before == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 next day
    critical = decide(row(critical=True), [result(Outcome.TRANSIENT)], policy=POLICY,
                      now=evening)
    assert critical.not_before == evening + timedelta(seconds=5)


def test_out_of_tries_the_message_fails_and_falls_back() -> None:
    decision = decide(row(attempts=3), [result(Outcome.TRANSIENT)], policy=POLICY, now=NOW)
    assert (decision.status, decision.announce, decision.permanent, decision.fall_back) == (
        Status.FAILED, "failed", False, True)


def test_a_retry_that_would_go_out_after_the_expiry_gives_the_row_up() -> None:
    soon = row(expires_at=NOW + timedelta(seconds=3))
    decision = decide(soon, [result(Outcome.TRANSIENT)], policy=POLICY, now=NOW)
    assert (decision.status, decision.error_code, decision.fall_back) == (
        Status.FAILED, EXPIRED, False)


def test_a_rate_limited_message_waits_as_long_as_the_providers_limit_says() -> None:
    code = "LimitExceeded.PhoneNumberOneHourLimit"
    decision = decide(row(), [result(Outcome.RATE_LIMITED, code)], policy=POLICY, now=NOW)
    assert (decision.status, decision.not_before) == (Status.DEFERRED, NOW + timedelta(hours=1))


def test_rate_limited_without_a_known_wait_goes_next_morning_or_fails_if_critical() -> None:
    base = Decision(row=row(), status=Status.FAILED, not_before=NOW)
    limited = result(Outcome.RATE_LIMITED, "some_daily_limit")
    later = rate_limited(base, limited, policy=POLICY, now=NOW)
    assert (later.status, later.not_before) == (
        Status.DEFERRED, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    critical = rate_limited(dataclasses.replace(base, row=row(critical=True)), limited,
                            policy=POLICY, now=NOW)
    assert (critical.status, critical.announce) == (Status.FAILED, "failed")


def test_rate_limited_with_another_channel_left_uses_it_now() -> None:
    base = Decision(row=row(fallbacks=[EMAIL]), status=Status.FAILED, not_before=NOW)
    decision = rate_limited(base, result(Outcome.RATE_LIMITED), policy=POLICY, now=NOW)
    assert (decision.status, decision.fall_back) == (Status.SUPPRESSED, True)


def test_an_expired_row_fails_for_good_without_a_fallback() -> None:
    base = Decision(row=row(fallbacks=[EMAIL]), status=Status.QUEUED, not_before=NOW,
                    fall_back=True)
    decision = expired(base)
    assert (decision.status, decision.error_code, decision.announce, decision.permanent,
            decision.fall_back) == (Status.FAILED, EXPIRED, "failed", True, False)
