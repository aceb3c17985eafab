"""One sample event of every type the notification service handles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.events import catalog as c
from shared.events.envelope import Event
from shared.ids import new_id
from tests.notification.harness import SHANGHAI_DAY, class_info, otp, recipient


def course() -> c.CourseInfo:
    """The course of the sample class."""
    return c.CourseInfo(course_id=new_id(), code="YY-01", title_zh="育婴员", title_en="Childcare",
                        category="care", occupation_name="育婴员", level=4, required_hours=40)


def samples(locale: str = "zh-CN") -> list[Event]:
    """Return one event per handled type, for a recipient with the given locale."""
    person = recipient(locale=locale)
    common = {"enrollment_id": new_id(), "seq": 1, "trainee": person, "class_info": class_info()}
    application = {"application_id": new_id(), "seq": 1, "trainee": person,
                   "class_info": class_info()}
    survey = {"survey_id": new_id(), "enrollment_id": new_id(), "seq": 1, "trainee": person,
              "class_info": class_info(), "code": "K7P2QX9M"}
    cert = {
        "certificate_id": new_id(), "seq": 1, "enrollment_id": new_id(),
        "number": "S000011010000126412345", "code": "K7P2QX", "verify_url":
        "https://verify.example.cn/c/K7P2QX", "holder": person, "course_title_zh": "育婴员",
        "course_title_en": "Childcare", "level": 4, "issued_on": datetime(2026, 3, 20).date(),
    }
    return [
        otp(),
        c.EnrollmentConfirmed(**common),
        c.EnrollmentWaitlisted(**common, waitlist_position=3),
        c.EnrollmentOffered(**common, offer_expires_at=SHANGHAI_DAY + timedelta(days=1)),
        c.EnrollmentPromoted(**common),
        c.EnrollmentCancelled(**common, reason="by_admin"),
        c.EnrollmentRescheduled(**common, previous_starts_on=datetime(2026, 3, 2).date(),
                                previous_ends_on=datetime(2026, 3, 6).date(),
                                previous_venue="工人文化宫"),
        c.EnrollmentReminderDue(**common),
        c.EnrollmentHoursAtRisk(**common, reasons=["missed_two_in_a_row"],
                                missed_dates=[datetime(2026, 3, 2).date(),
                                              datetime(2026, 3, 3).date()],
                                minutes_attended=600, required_minutes=2400,
                                min_attendance_ratio=0.9),
        c.EnrollmentCompleted(**common, result_version=1, course=course(), theory_score=85,
                              practical_score=None, hours_attended=40, attendance_rate=1,
                              passed=True, released_at=datetime(2026, 3, 14, tzinfo=UTC)),
        c.ApplicationSubmitted(**application, closes_at=SHANGHAI_DAY + timedelta(days=2)),
        c.ApplicationDrawn(**application, outcome="offered", rank=7,
                           offer_expires_at=SHANGHAI_DAY + timedelta(days=3)),
        c.SurveyInvited(**survey),
        c.SurveyFollowUpDue(**{**survey, "seq": 2}),
        c.CertificateIssued(**cert),
        c.CertificateRevoked(**cert, reason="资料不实"),
        c.CertificateSuspended(**cert, reason="核查中"),
        c.CertificateReinstated(**cert),
    ]
