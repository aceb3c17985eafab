"""Every integration event contract, grouped by producer.

Within a version changes are additive only (new optional fields); a breaking change is a
new class with `version + 1`, published beside the old one until all consumers move.
Adding an event: its class here, and one line in EVENTS at the end.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import Event, event
from shared.ids import new_id

Locale = Literal["zh-CN", "en"]


class Part(BaseModel):
    """A frozen value object inside an event."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Recipient(Part):
    """Who an event is about and how to reach them (notification needs no other lookup)."""

    user_id: UUID | None = None
    name: str
    phone: str | None = Field(None, description="E.164")
    email: str | None = None
    locale: Locale = "zh-CN"
    timezone: str = "Asia/Shanghai"


class ClassInfo(Part):
    """The class (班次) an enrolment belongs to, as shown to the trainee."""

    class_id: UUID
    course_id: UUID
    course_code: str
    course_title_zh: str
    course_title_en: str
    starts_on: date
    ends_on: date
    first_session_at: datetime | None = None
    venue: str
    online: bool = False


class CourseInfo(Part):
    """What certification needs to know about a course."""

    course_id: UUID
    code: str
    title_zh: str
    title_en: str
    category: str
    occupation_code: str | None = None
    occupation_name: str
    work_type: str | None = Field(None, description="工种; '--' is printed when absent")
    level: int | None = Field(None, ge=1, le=5, description="None for a training certificate")
    required_hours: float
    certificate_validity_months: int | None = None
    issue_policy: Literal["auto", "approval"] = Field(
        "auto", description="approval: a second staff member approves each certificate; auto "
        "(single-step) counts only for training certificates")
    certificate_kind: Literal["training", "skill_level"] = Field(
        "training", description="training: 培训合格证书 (own numbers); skill_level: "
        "职业技能等级证书 (national numbers, a registered evaluation organisation only)")


class IdentityDocument(Part):
    """A trainee's ID: type, masked number, and the number encrypted for certification."""

    id_type: Literal["resident_id", "passport", "hk_macao_permit", "taiwan_permit", "other"]
    number_masked: str
    number_encrypted: str = Field(description="Fernet token under the PII transport key")


# --- enrollment ---------------------------------------------------------------------------


@event("auth.otp_requested", 1, aggregate="request_id")
class OtpRequested(Event):
    """A sign-in code was issued; it must reach the phone at once (critical)."""

    carries_secret: ClassVar[bool] = True  # the outbox row goes once published or expired
    phone: str
    code: str
    expires_at: datetime
    locale: Locale = "zh-CN"
    # The aggregate: codes need no order among themselves, and the phone number must not
    # travel in AMQP headers (x-aggregate-id) where the broker's tools show it.
    request_id: UUID = Field(default_factory=new_id)


class EnrollmentEvent(Event):
    """Fields common to every enrolment transition."""

    enrollment_id: UUID
    seq: int = Field(description="Per-enrolment transition counter: later states have larger seq")
    trainee: Recipient
    class_info: ClassInfo
    actor: Literal["trainee", "trainer", "admin", "system"] = "system"


@event("enrollment.confirmed", 1, aggregate="enrollment_id")
class EnrollmentConfirmed(EnrollmentEvent):
    """A seat was booked for the trainee."""

    via: Literal["self", "bulk", "admin"] = "self"


@event("enrollment.waitlisted", 1, aggregate="enrollment_id")
class EnrollmentWaitlisted(EnrollmentEvent):
    """The class was full; the trainee joined the waitlist."""

    waitlist_position: int


@event("enrollment.offered", 1, aggregate="enrollment_id")
class EnrollmentOffered(EnrollmentEvent):
    """A seat was offered to the head of the waitlist until a deadline."""

    offer_expires_at: datetime


@event("enrollment.promoted", 1, aggregate="enrollment_id")
class EnrollmentPromoted(EnrollmentEvent):
    """A waitlisted or offered trainee now holds a confirmed seat."""


@event("enrollment.cancelled", 1, aggregate="enrollment_id")
class EnrollmentCancelled(EnrollmentEvent):
    """The enrolment ended before the class."""

    reason: Literal["by_trainee", "by_admin", "class_cancelled", "offer_expired", "offer_declined",
                    "ineligible"]
    # With "ineligible": the eligibility rule that refused the waitlisted trainee a freed seat
    # (a subsidised place taken elsewhere meanwhile), e.g. "subsidy_yearly_limit".
    note: str | None = None


@event("enrollment.rescheduled", 1, aggregate="enrollment_id")
class EnrollmentRescheduled(EnrollmentEvent):
    """The class moved, or its trainee moved to another class of the course (改期, same
    enrolment); `class_info` holds the new schedule (and then the new class)."""

    previous_starts_on: date
    previous_ends_on: date
    previous_venue: str


@event("enrollment.reminder_due", 1, aggregate="enrollment_id")
class EnrollmentReminderDue(EnrollmentEvent):
    """The class starts tomorrow."""


@event("enrollment.hours_at_risk", 1, aggregate="enrollment_id")
class EnrollmentHoursAtRisk(EnrollmentEvent):
    """By its check-ins, the trainee can no longer reach the course's minimum share of the
    required hours, or missed the last two sessions in a row: the trainee is told which dates
    were missed, the trainer's roster shows a flag."""

    reasons: list[Literal["cannot_reach_minimum", "missed_two_in_a_row"]] = Field(min_length=1)
    missed_dates: list[date] = Field(description="class days with a session missed so far")
    minutes_attended: int = Field(ge=0)
    required_minutes: int = Field(ge=0)
    min_attendance_ratio: float = Field(gt=0, le=1)


@event("enrollment.attended", 1, aggregate="enrollment_id")
class EnrollmentAttended(EnrollmentEvent):
    """The trainee attended the class (first present or late mark)."""


@event("enrollment.no_show", 1, aggregate="enrollment_id")
class EnrollmentNoShow(EnrollmentEvent):
    """The trainee never came."""


@event("enrollment.completed", 1, aggregate="enrollment_id")
class EnrollmentCompleted(EnrollmentEvent):
    """Results were released for the enrolment (passed or failed); a correction is re-sent
    with a larger `result_version`."""

    result_version: int = Field(ge=1)
    course: CourseInfo
    identity: IdentityDocument | None = None
    trainer_ids: list[UUID] = Field(default_factory=list)
    theory_score: float | None = Field(None, ge=0, le=100)
    practical_score: float | None = Field(None, ge=0, le=100)
    hours_attended: float
    attendance_rate: float = Field(ge=0, le=1)
    passed: bool
    released_at: datetime
    # Four eyes: certification refuses an approval by any of them (None or empty: released
    # before enrollment said who, or scores never entered by a person).
    released_by: UUID | None = Field(None, description="The user who released this result")
    scored_by: UUID | None = Field(
        None, description="The user who last entered or changed this enrolment's scores")
    scorers: list[UUID] = Field(
        default_factory=list,
        description="Everyone who entered or changed this enrolment's scores, up to this release"
                    " (empty: released before enrollment said; `scored_by` is then the last)")
    attendance_markers: list[UUID] = Field(
        default_factory=list,
        description="Everyone who marked this trainee's attendance (a class day's mark, a"
                    " check-in recorded by hand), up to this release; attendance decides the"
                    " hours")


@event("class.trainers_changed", 1, aggregate="class_id")
class ClassTrainersChanged(Event):
    """A class was scheduled or its trainers changed; `trainer_ids` is the full, current list.

    Certification authorises approvals and revocations by it (a later `seq` wins)."""

    class_id: UUID
    trainer_ids: list[UUID]
    seq: int = Field(ge=1)


@event("trainee.identity_reviewed", 1, aggregate="user_id")
class TraineeIdentityReviewed(Event):
    """A trainee's name or ID changed after enrolment, or an administrator confirmed it.

    `unconfirmed` counts the changes still awaiting confirmation (0 once confirmed); a later
    `seq` wins. Certification approves none of the trainee's certificates while it is > 0."""

    user_id: UUID
    unconfirmed: int = Field(ge=0)
    seq: int = Field(ge=1)


@event("user.access_changed", 1, aggregate="user_id")
class UserAccessChanged(Event):
    """A staff account was disabled or enabled, its password or role changed: every token of
    the user older than `token_version` (and any token while `disabled`) is refused."""

    user_id: UUID
    token_version: int = Field(ge=1)
    disabled: bool
    reason: Literal["disabled", "enabled", "password_changed", "password_reset",
                    "role_changed"]


class ApplicationEvent(Event):
    """Fields common to a lottery application's changes (enrollment service)."""

    application_id: UUID
    seq: int = Field(description="Per-application counter: later news has a larger seq")
    trainee: Recipient
    class_info: ClassInfo


@event("application.submitted", 1, aggregate="application_id")
class ApplicationSubmitted(ApplicationEvent):
    """A trainee applied for a place in a lottery class (摇号); the lots are drawn at
    `closes_at`."""

    closes_at: datetime


@event("application.drawn", 1, aggregate="application_id")
class ApplicationDrawn(ApplicationEvent):
    """The lots were drawn: the application was offered a seat (the enrolment has the same
    id), waitlisted at a position, or found ineligible (`refusal_code`)."""

    outcome: Literal["offered", "waitlisted", "ineligible"]
    rank: int = Field(ge=1, description="Place in the draw order (1 = drawn first)")
    offer_expires_at: datetime | None = None
    waitlist_position: int | None = Field(None, ge=1)
    refusal_code: str | None = None


class SurveyEvent(Event):
    """Fields common to the feedback survey after a class (enrollment service)."""

    survey_id: UUID
    enrollment_id: UUID
    seq: int = Field(description="Per-survey counter: the follow-up comes after the invitation")
    trainee: Recipient
    class_info: ClassInfo
    code: str = Field(description="Short code that opens the survey (no link in SMS variables)")


@event("survey.invited", 1, aggregate="survey_id")
class SurveyInvited(SurveyEvent):
    """The trainee completed a class: five questions and a comment, answered once."""


@event("survey.followup_due", 1, aggregate="survey_id")
class SurveyFollowUpDue(SurveyEvent):
    """Six months after the class: one optional question, working in this occupation?"""


# --- certification ------------------------------------------------------------------------


class CertificateEvent(Event):
    """Fields common to every certificate change."""

    certificate_id: UUID
    seq: int
    enrollment_id: UUID
    number: str
    code: str
    verify_url: str
    holder: Recipient
    course_title_zh: str
    course_title_en: str
    level: int | None = None
    issued_on: date
    expires_on: date | None = None
    actor_id: UUID | None = None


@event("certificate.issued", 1, aggregate="certificate_id")
class CertificateIssued(CertificateEvent):
    """A certificate was issued (or re-issued, with `replaces` set)."""

    replaces: UUID | None = None


@event("certificate.revoked", 1, aggregate="certificate_id")
class CertificateRevoked(CertificateEvent):
    """A certificate was revoked for good."""

    reason: str


@event("certificate.suspended", 1, aggregate="certificate_id")
class CertificateSuspended(CertificateEvent):
    """A certificate was suspended until reinstated."""

    reason: str


@event("certificate.reinstated", 1, aggregate="certificate_id")
class CertificateReinstated(CertificateEvent):
    """A suspended certificate is valid again."""


@event("held_certificate.recorded", 1, aggregate="user_id")
class HeldCertificateRecorded(Event):
    """A trainee recorded a skill certificate issued elsewhere, its number checked (a national
    22-character one or a legacy 16-digit 职业资格证书 number).

    Certification owns the record; enrollment's eligibility rules read it (no subsidised course
    below a level held in the occupation). `level` is the national number's level digit unless
    the trainee gave it; a legacy number without a level states none."""

    held_id: UUID
    user_id: UUID
    number: str
    number_format: Literal["national", "legacy"]
    occupation_name: str
    occupation_code: str | None = None
    level: int | None = Field(None, ge=1, le=5)
    issued_on: date | None = None


# --- notification -------------------------------------------------------------------------


class NotificationEvent(Event):
    """Fields common to a notification's outcome."""

    notification_id: UUID
    source_message_id: UUID
    source_type: str
    channel: Literal["sms", "email"]
    recipient_user_id: UUID | None = None
    recipient_masked: str
    provider: str


@event("notification.delivered", 1, aggregate="notification_id")
class NotificationDelivered(NotificationEvent):
    """The provider confirmed delivery to the handset or mailbox."""

    delivered_at: datetime


@event("notification.failed", 1, aggregate="notification_id")
class NotificationFailed(NotificationEvent):
    """The message could not be delivered on this channel."""

    reason: str
    permanent: bool


# --- platform -----------------------------------------------------------------------------


@event("message.faulted", 1, aggregate="message_id")
class MessageFaulted(Event):
    """A consumer gave up on a message and parked it in its `.error` queue."""

    message_id: UUID
    message_type: str
    queue: str
    exception_type: str
    exception_message: str
    attempts: int


# --- the catalogue ------------------------------------------------------------------------
# Every published event, one line each: shared/events/registry.py builds REGISTRY from it, and
# the schemas, AsyncAPI document and docs/events.md follow (tests/messaging checks them).
EVENTS: list[type[Event]] = [
    OtpRequested,
    EnrollmentConfirmed,
    EnrollmentWaitlisted,
    EnrollmentOffered,
    EnrollmentPromoted,
    EnrollmentCancelled,
    EnrollmentRescheduled,
    EnrollmentReminderDue,
    EnrollmentHoursAtRisk,
    EnrollmentAttended,
    EnrollmentNoShow,
    EnrollmentCompleted,
    ClassTrainersChanged,
    TraineeIdentityReviewed,
    UserAccessChanged,
    ApplicationSubmitted,
    ApplicationDrawn,
    SurveyInvited,
    SurveyFollowUpDue,
    CertificateIssued,
    CertificateRevoked,
    CertificateSuspended,
    CertificateReinstated,
    HeldCertificateRecorded,
    NotificationDelivered,
    NotificationFailed,
    MessageFaulted,
]
