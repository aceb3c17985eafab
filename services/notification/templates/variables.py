"""The variables each event's messages need, as typed models, and how an event fills them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, StringConstraints

from services.notification.domain.model import Channel, Person
from services.notification.templates import formatting as f
from shared.events import catalog as c
from shared.events.envelope import Event

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SmsText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=35)]


class Variables(BaseModel):
    """Base: every variable is a non-empty string and nothing else is accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OtpVars(Variables):
    code: SmsText
    minutes: SmsText


class EnrollmentBase(Variables):
    name: SmsText
    course: SmsText
    course_full: Text
    starts_on: SmsText
    ends_on: Text
    venue: Text


class EnrollmentVars(EnrollmentBase):
    venue_short: SmsText


class WaitlistedVars(EnrollmentVars):
    position: SmsText


class OfferedVars(EnrollmentVars):
    deadline: SmsText


class CancelledVars(EnrollmentVars):
    reason: SmsText


class RescheduledVars(EnrollmentVars):
    previous_starts_on: Text
    previous_venue: Text


class ReminderVars(EnrollmentVars):
    start_time: SmsText


class HoursAtRiskVars(EnrollmentBase):
    missed: SmsText
    missed_all: Text
    hours: SmsText
    needed: SmsText


class AppliedVars(EnrollmentBase):
    closes_at: SmsText


class DrawnVars(EnrollmentBase):
    result: SmsText


class SurveyVars(Variables):
    name: SmsText
    course: SmsText
    course_full: Text
    ends_on: Text
    code: SmsText


class CompletedVars(EnrollmentBase):
    result: SmsText
    theory: Text
    practical: Text


class CertificateVars(Variables):
    name: SmsText
    course: SmsText
    course_full: Text
    number: SmsText
    code: SmsText
    level: Text
    issued_on: Text
    verify_url: Text


class CertificateReasonVars(CertificateVars):
    reason: Text


Builder = Callable[[Any, str, ZoneInfo, datetime], dict[str, str]]
# Whether an event's message must not wait for quiet hours to end, given when it would go out
# (UTC) and that moment's local day.
Critical = Callable[[Any, datetime, date], bool]


@dataclass(frozen=True)
class EventSpec:
    """What the notification service does with one event type."""

    event_cls: type[Event]
    variables: type[Variables]
    build: Builder
    channels: tuple[Channel, ...] = (Channel.SMS, Channel.EMAIL)
    critical: Critical | None = None
    otp: bool = False

    @property
    def event_type(self) -> str:
        """Return the event's type name (also the template name)."""
        return self.event_cls.event_type


def person_of(event: Event, default_tz: str) -> Person:
    """Return who an event's messages go to."""
    if isinstance(event, c.OtpRequested):
        return Person(None, "", event.phone, None, event.locale, default_tz)
    recipient: c.Recipient = getattr(event, "trainee", None) or event.holder  # type: ignore[attr-defined]
    return Person(
        recipient.user_id,
        recipient.name,
        recipient.phone,
        recipient.email,
        recipient.locale,
        recipient.timezone or default_tz,
    )


def _otp(e: c.OtpRequested, _loc: str, _tz: ZoneInfo, now: datetime) -> dict[str, str]:
    return {"code": e.code, "minutes": f.minutes_until(e.expires_at, now)}


def _enrollment(
    e: c.EnrollmentEvent | c.ApplicationEvent, loc: str, _tz: ZoneInfo, _now: datetime
) -> dict[str, str]:
    info = e.class_info
    title = info.course_title_en if loc == "en" else info.course_title_zh
    return {
        "name": f.short(e.trainee.name),
        "course": f.short(title),
        "course_full": title,
        "starts_on": f.fmt_date(info.starts_on, loc),
        "ends_on": f.fmt_date(info.ends_on, loc),
        "venue": info.venue,
        "venue_short": f.short(info.venue),
    }


def _waitlisted(e: c.EnrollmentWaitlisted, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    return {**_enrollment(e, loc, tz, now), "position": str(e.waitlist_position)}


def _offered(e: c.EnrollmentOffered, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    return {**_enrollment(e, loc, tz, now), "deadline": f.fmt_datetime(e.offer_expires_at, tz, loc)}


def _cancelled(e: c.EnrollmentCancelled, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    return {**_enrollment(e, loc, tz, now), "reason": f.cancel_reason(e.reason, loc)}


def _rescheduled(
    e: c.EnrollmentRescheduled, loc: str, tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    return {
        **_enrollment(e, loc, tz, now),
        "previous_starts_on": f.fmt_date(e.previous_starts_on, loc),
        "previous_venue": e.previous_venue,
    }


def _reminder(e: c.EnrollmentReminderDue, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    first = e.class_info.first_session_at
    start = f.fmt_datetime(first, tz, loc) if first else f.fmt_date(e.class_info.starts_on, loc)
    return {**_enrollment(e, loc, tz, now), "start_time": start}


def _day(value: date, loc: str) -> str:
    return f"{value:%b} {value.day}" if loc == "en" else f"{value.month}月{value.day}日"


def _hours_at_risk(
    e: c.EnrollmentHoursAtRisk, loc: str, tz: ZoneInfo, now: datetime
) -> dict[str, str]:
    common = _enrollment(e, loc, tz, now)
    del common["venue_short"]
    days = [_day(d, loc) for d in sorted(e.missed_dates)]
    joiner, more = (", ", " etc.") if loc == "en" else ("、", "等")
    shown = days[-3:]  # the latest first dropped would be the news: keep the last ones
    missed = joiner.join(shown) + (more if len(days) > len(shown) else "")
    needed = e.min_attendance_ratio * e.required_minutes / 60
    return {
        **common,
        "missed": missed or ("-" if loc == "en" else "无"),
        "missed_all": joiner.join(f.fmt_date(d, loc) for d in sorted(e.missed_dates)) or "-",
        "hours": f"{e.minutes_attended / 60:.1f}".removesuffix(".0"),
        "needed": f"{needed:.1f}".removesuffix(".0"),
    }


def _completed(e: c.EnrollmentCompleted, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    common = _enrollment(e, loc, tz, now)
    del common["venue_short"]  # where the class was does not matter for its results
    return {
        **common,
        "result": f.result_text(e.passed, loc),
        "theory": f.score_text(e.theory_score, loc),
        "practical": f.score_text(e.practical_score, loc),
    }


def _applied(e: c.ApplicationSubmitted, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    common = _enrollment(e, loc, tz, now)
    del common["venue_short"]
    return {**common, "closes_at": f.fmt_datetime(e.closes_at, tz, loc)}


def _drawn(e: c.ApplicationDrawn, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    common = _enrollment(e, loc, tz, now)
    del common["venue_short"]
    deadline = f.fmt_datetime(e.offer_expires_at, tz, loc) if e.offer_expires_at else ""
    return {**common, "result": f.draw_result(e.outcome, loc, deadline=deadline,
                                              position=e.waitlist_position)}


def _survey(e: c.SurveyEvent, loc: str, _tz: ZoneInfo, _now: datetime) -> dict[str, str]:
    info = e.class_info
    title = info.course_title_en if loc == "en" else info.course_title_zh
    return {"name": f.short(e.trainee.name), "course": f.short(title), "course_full": title,
            "ends_on": f.fmt_date(info.ends_on, loc), "code": e.code}


def _certificate(e: c.CertificateEvent, loc: str, _tz: ZoneInfo, _now: datetime) -> dict[str, str]:
    title = e.course_title_en if loc == "en" else e.course_title_zh
    return {
        "name": f.short(e.holder.name),
        "course": f.short(title),
        "course_full": title,
        "number": e.number,
        "code": e.code,
        "level": f.level_text(e.level, loc),
        "issued_on": f.fmt_date(e.issued_on, loc),
        "verify_url": e.verify_url,
    }


def _certificate_reason(e: Any, loc: str, tz: ZoneInfo, now: datetime) -> dict[str, str]:
    return {**_certificate(e, loc, tz, now), "reason": e.reason}


def _class_soon(e: c.EnrollmentEvent, _release: datetime, release_day: date) -> bool:
    # The news matters before the trainee sets off: the class starts before the message would go.
    return e.class_info.starts_on <= release_day


def _moved_soon(e: c.EnrollmentRescheduled, _release: datetime, release_day: date) -> bool:
    return min(e.previous_starts_on, e.class_info.starts_on) <= release_day


def _offer_ends_first(e: c.EnrollmentOffered, release: datetime, _release_day: date) -> bool:
    # An offer whose deadline passes while the message waits would reach the trainee too late.
    return e.offer_expires_at <= release


def _offer_ends_first_if_any(e: c.ApplicationDrawn, release: datetime, _day: date) -> bool:
    return e.offer_expires_at is not None and e.offer_expires_at <= release


SPECS: tuple[EventSpec, ...] = (
    EventSpec(c.OtpRequested, OtpVars, _otp, channels=(Channel.SMS,), otp=True),
    EventSpec(c.EnrollmentConfirmed, EnrollmentVars, _enrollment),
    EventSpec(c.EnrollmentWaitlisted, WaitlistedVars, _waitlisted),
    EventSpec(c.EnrollmentOffered, OfferedVars, _offered, critical=_offer_ends_first),
    EventSpec(c.EnrollmentPromoted, EnrollmentVars, _enrollment),
    EventSpec(c.EnrollmentCancelled, CancelledVars, _cancelled, critical=_class_soon),
    EventSpec(c.EnrollmentRescheduled, RescheduledVars, _rescheduled, critical=_moved_soon),
    EventSpec(c.EnrollmentReminderDue, ReminderVars, _reminder),
    EventSpec(c.EnrollmentHoursAtRisk, HoursAtRiskVars, _hours_at_risk),
    EventSpec(c.EnrollmentCompleted, CompletedVars, _completed),
    EventSpec(c.ApplicationSubmitted, AppliedVars, _applied),
    EventSpec(c.ApplicationDrawn, DrawnVars, _drawn, critical=_offer_ends_first_if_any),
    EventSpec(c.SurveyInvited, SurveyVars, _survey),
    EventSpec(c.SurveyFollowUpDue, SurveyVars, _survey),
    EventSpec(c.CertificateIssued, CertificateVars, _certificate),
    EventSpec(c.CertificateRevoked, CertificateReasonVars, _certificate_reason),
    EventSpec(c.CertificateSuspended, CertificateReasonVars, _certificate_reason),
    EventSpec(c.CertificateReinstated, CertificateVars, _certificate),
)
