"""Quiet hours, rate limits, superseding, and refusing to send anything incomplete."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.events import catalog as c
from tests.notification.conftest import StartService
from tests.notification.harness import class_info, confirmed, otp, recipient
from tests.support.clock import FakeClock

LATE_EVENING = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Asia/Shanghai
NEXT_MORNING = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai


def reminder(event: c.EnrollmentConfirmed, seq: int) -> c.EnrollmentReminderDue:
    """The day-before reminder of an enrolment."""
    return c.EnrollmentReminderDue(enrollment_id=event.enrollment_id, seq=seq,
                                   trainee=event.trainee, class_info=event.class_info)


def cancelled(event: c.EnrollmentConfirmed, seq: int, **info: object) -> c.EnrollmentCancelled:
    """A cancellation of an enrolment."""
    return c.EnrollmentCancelled(
        enrollment_id=event.enrollment_id, seq=seq, trainee=event.trainee,
        class_info=class_info(**info) if info else event.class_info, reason="class_cancelled",
    )


async def test_missing_variable_sends_nothing_parks_the_event_and_raises_a_fault(
    start_service: StartService,
) -> None:
    service = await start_service()
    envelope = await service.publish(confirmed(class_info=class_info(venue="  ")))

    async def faulted() -> bool:
        return "message.faulted.v1" in await service.announced_types()

    await service.until(faulted)
    error_queue = f"{service.settings.queue_name}.error"

    async def parked() -> bool:
        return await service.transport.message_count(error_queue) == 1

    await service.until(parked)
    assert await service.rows(envelope.message_id) == []
    assert await service.pool.fetchval("SELECT count(*) FROM sink_messages") == 0
    fault = next(e for e in service.announced if e["type"] == "message.faulted.v1")
    assert fault["data"]["message_id"] == str(envelope.message_id)
    assert "venue" in fault["data"]["exception_message"]


async def test_at_23_30_local_a_reminder_waits_for_08_00_while_a_sign_in_code_goes_at_once(
    start_service: StartService,
) -> None:
    clock = FakeClock(LATE_EVENING, flowing=True)
    service = await start_service(clock=clock)
    first = confirmed()
    due = await service.publish(reminder(first, seq=1))
    code = await service.publish(otp(at=LATE_EVENING))
    await service.until_status(code.message_id, "delivered")
    rows = await service.until_status(due.message_id, "deferred")
    assert rows[0]["not_before"] == NEXT_MORNING
    assert rows[0]["error_code"] == "quiet_hours"
    clock.advance(NEXT_MORNING - LATE_EVENING)
    await service.until_status(due.message_id, "delivered")


def offered(expires_at: datetime) -> c.EnrollmentOffered:
    """A seat offered to a waitlisted trainee until `expires_at`."""
    first = confirmed()
    return c.EnrollmentOffered(enrollment_id=first.enrollment_id, seq=2, trainee=first.trainee,
                               class_info=first.class_info, offer_expires_at=expires_at)


async def test_at_23_30_an_offer_ending_before_08_00_goes_at_once_and_a_later_one_waits(
    start_service: StartService,
) -> None:
    clock = FakeClock(LATE_EVENING, flowing=True)
    service = await start_service(clock=clock)
    urgent = await service.publish(offered(LATE_EVENING + timedelta(hours=1)))  # 00:30 local
    at_dawn = await service.publish(offered(NEXT_MORNING))  # ends as quiet hours end
    later = await service.publish(offered(NEXT_MORNING + timedelta(hours=2)))  # 10:00 local
    for envelope in (urgent, at_dawn):
        rows = await service.until_status(envelope.message_id, "delivered")
        assert [(r["channel"], r["critical"]) for r in rows] == [("sms", True)]
    rows = await service.until_status(later.message_id, "deferred")
    assert (rows[0]["not_before"], rows[0]["error_code"]) == (NEXT_MORNING, "quiet_hours")
    assert rows[0]["critical"] is False
    clock.advance(NEXT_MORNING - LATE_EVENING)
    await service.until_status(later.message_id, "delivered")


async def test_cancellation_supersedes_the_deferred_reminder_and_goes_at_once_if_class_is_near(
    start_service: StartService,
) -> None:
    service = await start_service(clock=FakeClock(LATE_EVENING, flowing=True))
    first = confirmed()
    due = await service.publish(reminder(first, seq=2))
    await service.until_status(due.message_id, "deferred")
    # The class would have started the morning the reminder was waiting for.
    stop = await service.publish(cancelled(first, seq=3, starts_on=date(2026, 3, 3)))
    await service.until_status(stop.message_id, "delivered")
    rows = await service.until_status(due.message_id, "superseded")
    assert rows[0]["related_id"] == stop.message_id
    late = await service.publish(first)  # the older confirmation arrives last
    rows = await service.until_status(late.message_id, "superseded")
    assert rows[0]["error_code"] == "out_of_order"
    bodies = [r["body"] for r in await service.pool.fetch("SELECT body FROM sink_messages")]
    assert len(bodies) == 1
    assert "已取消" in bodies[0]


async def test_same_text_twice_within_30_seconds_is_coalesced(start_service: StartService) -> None:
    service = await start_service()
    event = confirmed()
    first = await service.publish(event)
    await service.until_status(first.message_id, "delivered")
    twin = await service.publish(event)  # a second event with the same message for the person
    rows = await service.until_status(twin.message_id, "coalesced")
    assert rows[0]["error_code"] == "same_content_recently"
    assert await service.pool.fetchval("SELECT count(*) FROM sink_messages") == 1


async def test_daily_template_limit_falls_back_to_email_instead_of_hitting_the_provider(
    start_service: StartService,
) -> None:
    service = await start_service(same_template_per_day=2)
    person = recipient()
    for title in ("育婴员", "养老护理员"):
        sent = await service.publish(confirmed(trainee=person,
                                               class_info=class_info(course_title_zh=title)))
        await service.until_status(sent.message_id, "delivered")
    third = await service.publish(confirmed(trainee=person,
                                            class_info=class_info(course_title_zh="咖啡师")))
    rows = await service.until_status(third.message_id, "delivered")
    assert [(r["channel"], r["status"], r["error_code"]) for r in rows] == [
        ("sms", "suppressed", "template_daily_limit"), ("email", "delivered", None)]


async def test_second_sign_in_code_within_a_minute_waits_for_the_limit(
    start_service: StartService,
) -> None:
    service = await start_service()
    first = await service.publish(otp(code="111111"))
    await service.until_status(first.message_id, "delivered")
    second = await service.publish(otp(code="222222"))
    rows = await service.until_status(second.message_id, "deferred")
    assert rows[0]["error_code"] == "otp_minute_limit"
    assert rows[0]["not_before"] > rows[0]["created_at"]
    assert rows[0]["not_before"] <= rows[0]["created_at"] + timedelta(minutes=1)


@pytest.mark.parametrize(
    ("course", "venue", "shown"),
    [
        ("ASP.NET 入门", "市职工服务中心 3楼", "ASP·NET 入门"),
        ("育婴员", "线上 (zoom.com)", "线上 (zoom·com)"),
    ],
)
async def test_a_name_that_looks_like_a_link_still_gets_its_sms_with_the_dot_defused(
    start_service: StartService, course: str, venue: str, shown: str,
) -> None:
    service = await start_service()
    envelope = await service.publish(confirmed(class_info=class_info(
        course_title_zh=course, venue=venue)))
    rows = await service.until_status(envelope.message_id, "delivered")
    assert [(r["channel"], r["status"]) for r in rows] == [("sms", "delivered")]
    [body] = [r["body"] for r in await service.pool.fetch("SELECT body FROM sink_messages")]
    assert shown in body
    assert rows[0]["variables"]["course_full"] == course  # email and records keep the name
    assert await service.transport.message_count(f"{service.settings.queue_name}.error") == 0


async def test_an_sms_that_cannot_be_made_is_refused_alone_and_the_email_goes(
    start_service: StartService,
) -> None:
    # A signature this long makes every SMS pass the providers' 500 characters.
    service = await start_service(sms_signature="签" * 480)
    envelope = await service.publish(confirmed(class_info=class_info(
        course_title_zh="ASP.NET 入门", venue="线上 (zoom.com)")))
    rows = await service.until_status(envelope.message_id, "delivered")
    assert [(r["channel"], r["status"], r["error_code"]) for r in rows] == [
        ("sms", "failed", "template_refused"), ("email", "delivered", None)]
    [mail] = await service.pool.fetch("SELECT subject, body FROM sink_messages")
    assert "ASP.NET 入门" in mail["subject"]
    assert "线上 (zoom.com)" in mail["body"]
    assert "notification.failed.v1" in await service.announced_types(envelope.message_id)
    assert await service.transport.message_count(f"{service.settings.queue_name}.error") == 0
