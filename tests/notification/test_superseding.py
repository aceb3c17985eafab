"""Newer news supersedes an older pending message, or makes a late older event stale, only
where the superseding table says it makes the message pointless: a reschedule or a reminder
never cancels a confirmation or an offer that is still to go; a cancellation or a completion
does, and a confirmation nobody saw before the results came out is not sent after them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.notification.domain.superseding import pointless_once
from shared.events import catalog as c
from tests.notification.conftest import StartService
from tests.notification.harness import confirmed
from tests.support.clock import FakeClock

TEN_PM = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 22:00 in Asia/Shanghai
NEXT_MORNING = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai


def _common(first: c.EnrollmentConfirmed, seq: int) -> dict[str, Any]:
    return {"enrollment_id": first.enrollment_id, "seq": seq, "trainee": first.trainee,
            "class_info": first.class_info}


def offered(first: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentOffered:
    """A seat offered until noon tomorrow (local): the message may wait for the morning."""
    return c.EnrollmentOffered(**_common(first, seq),
                               offer_expires_at=datetime(2026, 3, 3, 4, 0, tzinfo=UTC))


def promoted(first: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentPromoted:
    """The trainee moved off the waitlist into a seat."""
    return c.EnrollmentPromoted(**_common(first, seq))


def rescheduled(first: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentRescheduled:
    """The class moved a week later (far enough away for the message to wait for morning)."""
    info = first.class_info
    moved = info.model_copy(update={"starts_on": date(2026, 3, 16), "ends_on": date(2026, 3, 20),
                                    "first_session_at": datetime(2026, 3, 16, 1, 0, tzinfo=UTC)})
    return c.EnrollmentRescheduled(
        **{**_common(first, seq), "class_info": moved},
        previous_starts_on=info.starts_on, previous_ends_on=info.ends_on,
        previous_venue=info.venue,
    )


def reminder(first: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentReminderDue:
    """The day-before reminder."""
    return c.EnrollmentReminderDue(**_common(first, seq))


def cancelled(first: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentCancelled:
    """The trainee cancelled."""
    return c.EnrollmentCancelled(**_common(first, seq), reason="by_trainee")


def completed(first: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentCompleted:
    """Results released: passed."""
    course = c.CourseInfo(course_id=first.class_info.course_id, code="YY-01", title_zh="育婴员",
                          title_en="Childcare", category="care", occupation_name="育婴员",
                          level=4, required_hours=40)
    return c.EnrollmentCompleted(**_common(first, seq), result_version=1, course=course,
                                 theory_score=88, practical_score=92, hours_attended=40,
                                 attendance_rate=1, passed=True,
                                 released_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC))


Maker = Callable[[c.EnrollmentConfirmed, int], c.EnrollmentEvent]


def test_a_confirmation_is_pointless_once_the_seat_is_gone_or_the_class_is_over_only() -> None:
    for message in (c.EnrollmentConfirmed, c.EnrollmentPromoted):
        assert pointless_once(message.event_type) == {c.EnrollmentCancelled.event_type,
                                                      c.EnrollmentCompleted.event_type}
    assert pointless_once(c.EnrollmentWaitlisted.event_type) == {
        c.EnrollmentOffered.event_type, c.EnrollmentPromoted.event_type,
        c.EnrollmentCancelled.event_type}
    for news in (c.EnrollmentRescheduled, c.EnrollmentReminderDue):  # still true, still needed
        assert news.event_type not in pointless_once(c.EnrollmentConfirmed.event_type)
        assert news.event_type not in pointless_once(c.EnrollmentOffered.event_type)
    # A reminder or an older reschedule names a start that moved: wrong once it moves again.
    assert c.EnrollmentRescheduled.event_type in pointless_once(
        c.EnrollmentReminderDue.event_type)
    assert pointless_once(c.EnrollmentCancelled.event_type) == frozenset()
    assert pointless_once(c.CertificateRevoked.event_type) == frozenset()


@pytest.mark.parametrize(("state", "news"), [(offered, rescheduled), (promoted, reminder)])
async def test_news_at_night_does_not_cancel_the_deferred_message_about_a_new_state(
    start_service: StartService, state: Maker, news: Maker,
) -> None:
    clock = FakeClock(TEN_PM, flowing=True)
    service = await start_service(clock=clock)
    first = confirmed()
    news_of_state = await service.publish(state(first, 2))
    await service.until_status(news_of_state.message_id, "deferred")
    clock.advance(timedelta(minutes=30))
    later = await service.publish(news(first, 3))
    await service.until_status(later.message_id, "deferred")
    [row] = await service.rows(news_of_state.message_id)
    assert (row["status"], row["error_code"]) == ("deferred", "quiet_hours")
    clock.advance(NEXT_MORNING - TEN_PM)
    for envelope in (news_of_state, later):
        await service.until_status(envelope.message_id, "delivered")
    assert await service.pool.fetchval("SELECT count(*) FROM sink_messages") == 2


async def test_a_delayed_state_event_is_not_stale_behind_a_later_reschedule(
    start_service: StartService,
) -> None:
    # The offer's intake failed once and waited in a delay tier; the reschedule came first.
    service = await start_service()
    first = confirmed()
    moved = await service.publish(rescheduled(first, 3))
    await service.until_status(moved.message_id, "delivered")
    offer = await service.publish(offered(first, 2))
    rows = await service.until_status(offer.message_id, "delivered")
    assert [(r["status"], r["error_code"]) for r in rows] == [("delivered", None)]


async def test_a_state_event_still_supersedes_pending_news_and_makes_older_news_stale(
    start_service: StartService,
) -> None:
    service = await start_service(clock=FakeClock(TEN_PM, flowing=True))
    first = confirmed()
    moved = await service.publish(rescheduled(first, 3))
    await service.until_status(moved.message_id, "deferred")
    stop = await service.publish(cancelled(first, 4))
    rows = await service.until_status(moved.message_id, "superseded")
    assert rows[0]["related_id"] == stop.message_id
    late = await service.publish(reminder(first, 2))  # older than the cancellation
    rows = await service.until_status(late.message_id, "superseded")
    assert rows[0]["error_code"] == "out_of_order"
    late_offer = await service.publish(offered(first, 1))
    rows = await service.until_status(late_offer.message_id, "superseded")
    assert rows[0]["error_code"] == "out_of_order"
    [row] = await service.rows(stop.message_id)
    assert row["status"] == "deferred"


async def test_the_dispatcher_never_sends_a_message_a_newer_state_has_overtaken(
    start_service: StartService,
) -> None:
    # Two instances take in an offer (seq 2) and a cancellation (seq 3) of one enrolment at the
    # same moment: the cancellation's intake cannot see the offer's row, still uncommitted, so
    # the offer stays queued. Here the cancellation is recorded the way its intake leaves it.
    intake = await start_service(run_dispatcher=False)
    first = confirmed()
    offer = await intake.publish(offered(first, 2))
    await intake.until_status(offer.message_id, "queued")
    await intake.pool.execute(
        "INSERT INTO aggregate_news VALUES ($1, 'enrollment.cancelled', 3)",
        str(first.enrollment_id),
    )
    await start_service(run_consumers=False)
    rows = await intake.until_status(offer.message_id, "superseded")
    assert [(r["error_code"], r["attempts"]) for r in rows] == [("superseded", 0)]
    assert await intake.pool.fetchval("SELECT count(*) FROM sink_messages") == 0
    # A message about the newest state itself still goes out.
    news = await intake.publish(reminder(first, 4))
    await intake.until_status(news.message_id, "delivered")


async def test_results_out_before_the_confirmation_went_out_supersede_it_and_go_out_alone(
    start_service: StartService,
) -> None:
    # Booked at 22:00, the confirmation waits for the morning; the results come out first
    # (a compressed class, or enrolments recorded after the fact): the class is over, so only
    # the results are sent, and they tell the trainee they took part.
    clock = FakeClock(TEN_PM, flowing=True)
    service = await start_service(clock=clock)
    first = confirmed()
    booking = await service.publish(first)
    await service.until_status(booking.message_id, "deferred")
    results = await service.publish(completed(first, 3))
    [row] = await service.until_status(booking.message_id, "superseded")
    assert (row["error_code"], row["related_id"], row["attempts"]) == (
        "superseded", results.message_id, 0)
    clock.advance(NEXT_MORNING - TEN_PM)
    await service.until_status(results.message_id, "delivered")
    sent = await service.pool.fetch("SELECT event_type FROM sink_messages")
    assert [r["event_type"] for r in sent] == [c.EnrollmentCompleted.event_type]
