"""The ledger check's rules on hand-made rows: what balances, what is accounted, what is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from ops.ledger import balance, rules
from ops.ledger.model import AggregateEvent, HistoryEvent, LedgerRow, Report
from shared.ids import new_id

NOW = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(minutes=10)
ENROLLMENT, TRAINEE = new_id(), new_id()


def event(seq: int, event_type: str) -> HistoryEvent:
    return HistoryEvent(ENROLLMENT, TRAINEE, seq, event_type, LONG_AGO)


def row(seq: int, event_type: str, status: str, *, channel: str = "sms",
        in_sink: bool = False, recipient: str = "a", not_before: datetime = LONG_AGO) -> LedgerRow:
    return LedgerRow(
        id=new_id(), source_message_id=new_id(), source_type=event_type,
        aggregate_id=str(ENROLLMENT), seq=seq, channel=channel, recipient_key=recipient,
        recipient_masked="+86138****0000", status=status, error_code=None, related_id=None,
        not_before=not_before, created_at=LONG_AGO, updated_at=LONG_AGO, in_sink=in_sink,
    )


def judge(
    history: list[HistoryEvent], ledger: list[LedgerRow], *, opted_out: set[UUID] | None = None
) -> Report:
    report = Report(older_than_s=60, checked_at=NOW)
    balance.enrollments(report, history, rules.by_event(ledger), rules=rules.notify_rules(),
                       cutoff=NOW - timedelta(seconds=60), held=set(), opted_out=opted_out or set())
    balance.orphans(report, [e.event for e in history], set(), ledger,
                    cutoff=NOW - timedelta(seconds=60))
    rules.duplicate_rows(report, ledger)
    rules.stuck_rows(report, ledger, cutoff=NOW - timedelta(seconds=60))
    return report


def kinds(report: Report) -> list[str]:
    return [d.kind for d in report.discrepancies]


def test_a_message_superseded_by_a_newer_state_is_accounted() -> None:
    history = [event(1, "enrollment.confirmed"), event(2, "enrollment.cancelled")]
    report = judge(history, [row(1, "enrollment.confirmed", "superseded"),
                             row(2, "enrollment.cancelled", "delivered")])
    assert report.ok
    assert report.counts["enrolment messages accounted"] == 1


def test_a_message_superseded_with_no_newer_state_is_named() -> None:
    report = judge([event(1, "enrollment.confirmed")],
                   [row(1, "enrollment.confirmed", "superseded")])
    assert kinds(report) == ["superseded_without_newer_state"]


def test_news_that_changes_no_state_does_not_justify_superseding() -> None:
    history = [event(1, "enrollment.confirmed"), event(2, "enrollment.reminder_due")]
    report = judge(history, [row(1, "enrollment.confirmed", "superseded"),
                             row(2, "enrollment.reminder_due", "delivered")])
    assert kinds(report) == ["superseded_without_newer_state"]


def test_superseding_follows_the_notification_services_table_not_any_newer_state() -> None:
    history = [event(1, "enrollment.confirmed"), event(2, "enrollment.reminder_due"),
               event(3, "enrollment.rescheduled")]
    rows = [row(1, "enrollment.confirmed", "superseded"),
            row(2, "enrollment.reminder_due", "superseded"),
            row(3, "enrollment.rescheduled", "delivered")]
    # A reschedule makes the reminder's date wrong, but leaves the confirmation true.
    report = judge(history, rows)
    assert [(d.kind, d.ids["event"]) for d in report.discrepancies] == [
        ("superseded_without_newer_state", "enrollment.confirmed")]


def test_a_failed_sms_whose_email_fallback_went_out_balances() -> None:
    report = judge([event(1, "enrollment.confirmed")],
                   [row(1, "enrollment.confirmed", "failed"),
                    row(1, "enrollment.confirmed", "delivered", channel="email")])
    assert report.ok


def test_a_message_that_failed_on_every_channel_is_named() -> None:
    report = judge([event(1, "enrollment.confirmed")],
                   [row(1, "enrollment.confirmed", "failed"),
                    row(1, "enrollment.confirmed", "failed", channel="email")])
    assert kinds(report) == ["undelivered"]


def test_no_row_is_missing_unless_the_trainee_refused_every_channel() -> None:
    history = [event(1, "enrollment.confirmed")]
    assert kinds(judge(history, [])) == ["missing_notification"]
    assert judge(history, [], opted_out={TRAINEE}).ok


def test_events_that_tell_the_trainee_nothing_owe_no_message() -> None:
    assert judge([event(1, "enrollment.confirmed"), event(2, "enrollment.attended")],
                 [row(1, "enrollment.confirmed", "submitted")]).ok


def test_two_sent_rows_of_one_event_to_one_number_are_a_double_sms() -> None:
    report = judge([event(1, "enrollment.confirmed")],
                   [row(1, "enrollment.confirmed", "delivered"),
                    row(1, "enrollment.confirmed", "submitted")])
    assert kinds(report) == ["duplicate_notification"]


def test_a_row_left_sending_is_stuck_unless_the_sink_holds_it() -> None:
    history = [event(1, "enrollment.confirmed")]
    assert kinds(judge(history, [row(1, "enrollment.confirmed", "sending")])) == [
        "stuck_notification"
    ]
    assert judge(history, [row(1, "enrollment.confirmed", "unknown", in_sink=True)]).ok


def test_a_message_for_an_event_no_enrollment_had_is_named() -> None:
    report = judge([event(1, "enrollment.confirmed")],
                   [row(1, "enrollment.confirmed", "delivered"),
                    row(2, "enrollment.promoted", "delivered")])
    assert kinds(report) == ["notification_without_event"]


def test_a_message_held_by_a_rule_until_later_is_scheduled_not_stuck() -> None:
    tomorrow = NOW + timedelta(hours=10)
    report = judge([event(1, "enrollment.confirmed")],
                   [row(1, "enrollment.confirmed", "deferred", not_before=tomorrow)])
    assert report.ok
    assert report.counts["enrolment messages scheduled"] == 1
    overdue = judge([event(1, "enrollment.confirmed")],
                    [row(1, "enrollment.confirmed", "deferred")])
    assert kinds(overdue) == ["stuck_notification"]


def test_a_survey_invitation_sent_balances_and_one_never_written_is_missing() -> None:
    survey, other = new_id(), new_id()
    invited = [AggregateEvent(survey, TRAINEE, 1, "survey.invited", LONG_AGO),
               AggregateEvent(other, TRAINEE, 1, "survey.invited", LONG_AGO)]
    sent = LedgerRow(
        id=new_id(), source_message_id=new_id(), source_type="survey.invited",
        aggregate_id=str(survey), seq=1, channel="sms", recipient_key="a",
        recipient_masked="+86138****0000", status="delivered", error_code=None, related_id=None,
        not_before=LONG_AGO, created_at=LONG_AGO, updated_at=LONG_AGO, in_sink=False,
    )
    report = Report(older_than_s=60, checked_at=NOW)
    balance.owed(report, invited, rules.by_event([sent]), rules=rules.notify_rules(),
                 cutoff=NOW - timedelta(seconds=60), held=set(), opted_out=set())
    balance.orphans(report, invited, set(), [sent], cutoff=NOW - timedelta(seconds=60))
    assert report.counts["survey messages sent"] == 1
    assert [(d.kind, d.ids["survey"]) for d in report.discrepancies] == [
        ("missing_notification", str(other))
    ]


def test_an_application_message_for_no_application_is_from_nowhere() -> None:
    report = judge([], [row(1, "application.submitted", "delivered")])
    assert kinds(report) == ["notification_without_event"]
