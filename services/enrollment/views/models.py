"""Response models (and list query parameters) of the enrollment API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(frozen=True)


# --- identity -----------------------------------------------------------------------------


class UserRef(Out):
    """Who signed in."""

    id: UUID
    role: Literal["trainee", "trainer", "admin"]
    name: str


class TokenOut(Out):
    """An access token for the Authorization header."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    user: UserRef


class OtpOut(Out):
    """A code is on its way."""

    expires_in: int = Field(description="seconds the code stays valid")
    resend_after: int = Field(description="seconds before another code may be requested")


class ProfileOut(Out):
    """One's own profile (ID number only masked)."""

    id: UUID
    role: Literal["trainee", "trainer", "admin"]
    name: str
    phone: str
    email: str | None
    locale: Literal["zh-CN", "en"]
    union_member: bool
    employer: str | None
    id_type: str | None
    id_number_masked: str | None
    profile_complete: bool
    created_at: datetime


class UserOut(Out):
    """A user as administrators see them in lists (phone masked)."""

    id: UUID
    role: Literal["trainee", "trainer", "admin"]
    name: str
    phone_masked: str
    union_member: bool
    employer: str | None
    signed_up: bool = Field(description="false for accounts made by a roster import")
    created_at: datetime


class UserList(Out):
    """A page of users."""

    items: list[UserOut]
    next_cursor: str | None


class CreatedOut(Out):
    """The id of what was created."""

    id: UUID


# --- catalogue ----------------------------------------------------------------------------


class CourseOut(Out):
    """A course."""

    id: UUID
    code: str
    title_zh: str
    title_en: str
    category: str
    occupation_code: str | None
    occupation_name: str
    work_type: str | None
    level: int | None
    level_label: str | None = Field(description="e.g. 四级/中级工; null for a training course")
    certificate_kind: Literal["skill_level", "training"]
    required_hours: float
    theory_pass: float
    practical_pass: float
    certificate_validity_months: int | None
    issue_policy: Literal["auto", "approval"]
    attendance_threshold: float
    description: str


class CourseList(Out):
    """A page of courses."""

    items: list[CourseOut]
    next_cursor: str | None


class CourseBrief(Out):
    """The course of a class, in short."""

    id: UUID
    code: str
    title_zh: str
    title_en: str
    category: str
    level: int | None
    level_label: str | None


class TrainerRef(Out):
    """A trainer of a class."""

    id: UUID
    name: str


class ClassOut(Out):
    """A class (班次) with its seats."""

    id: UUID
    course_id: UUID
    course: CourseBrief
    name: str
    trainer_ids: list[UUID]
    trainers: list[TrainerRef]
    starts_on: date
    ends_on: date
    schedule_days: list[date]
    session_start: time | None
    hours_per_day: float
    total_hours: float
    venue: str
    online: bool
    capacity: int
    seats_left: int
    waitlist_length: int
    enroll_opens_at: datetime
    enroll_closes_at: datetime
    open_for_enrolment: bool
    waitlist_policy: Literal["auto_promote", "offer"]
    offer_hours: int
    union_members_only: bool
    attendance_threshold: float
    status: Literal["scheduled", "cancelled"]
    cancel_reason: str | None
    results_released_at: datetime | None


class ClassList(Out):
    """A page of classes."""

    items: list[ClassOut]
    next_cursor: str | None


# --- enrolment ----------------------------------------------------------------------------


class EnrolmentOut(Out):
    """The outcome of an enrolment request."""

    id: UUID
    class_id: UUID
    status: str
    waitlist_position: int | None


class HistoryEntry(Out):
    """One transition of an enrolment (the audit trail)."""

    seq: int
    event_type: str
    from_status: str | None
    to_status: str
    actor_role: str
    reason: str | None
    at: datetime


class ResultOut(Out):
    """A trainee's scores and released result."""

    theory_score: float | None
    practical_score: float | None
    passed: bool | None = Field(description="null until results are released")
    result_version: int
    released_at: datetime | None


class ClassBrief(Out):
    """The class of an enrolment, as shown in 'my enrolments'."""

    id: UUID
    name: str
    course: CourseBrief
    starts_on: date
    ends_on: date
    schedule_days: list[date]
    session_start: time | None
    venue: str
    online: bool
    status: Literal["scheduled", "cancelled"]


class EnrolmentDetail(Out):
    """An enrolment as its trainee (or staff) sees it now."""

    id: UUID
    class_id: UUID
    trainee_id: UUID
    status: str
    waitlist_position: int | None
    offer_expires_at: datetime | None
    cancel_reason: str | None
    via: Literal["self", "bulk", "admin"]
    created_at: datetime
    class_info: ClassBrief
    result: ResultOut
    certificate_number: str | None
    certificate_status: str | None
    history: list[HistoryEntry]


class EnrolmentList(Out):
    """One's enrolments, newest first."""

    items: list[EnrolmentDetail]


# --- roster, attendance, results ----------------------------------------------------------


class RosterEntry(Out):
    """One trainee on a class roster (phone masked)."""

    enrollment_id: UUID
    trainee_id: UUID
    name: str
    phone_masked: str
    status: str
    waitlist_position: int | None
    offer_expires_at: datetime | None
    attendance: dict[date, str]
    hours_attended: float
    attendance_rate: float
    exam_eligible: bool
    theory_score: float | None
    practical_score: float | None
    passed: bool | None
    result_version: int
    certificate_number: str | None
    certificate_status: str | None
    reachable: bool | None = Field(description="last SMS/email outcome; null when unknown")
    unreachable_reason: str | None


class RosterOut(Out):
    """A class's roster: seat holders, offers and the waitlist in order."""

    class_id: UUID
    schedule_days: list[date]
    capacity: int
    seats_left: int
    waitlist_length: int
    items: list[RosterEntry]


class AttendanceOut(Out):
    """One class day's marks as stored."""

    class_id: UUID
    date: date
    records: list[dict[str, str]]


class ReleaseOut(Out):
    """What a release of results did."""

    class_id: UUID
    completed: int = Field(description="completion events emitted for first releases")
    corrected: int = Field(description="completion events re-sent with a higher result_version")
    no_show: int
    unchanged: int


class ImportRowOut(Out):
    """The result of one roster row."""

    row: int
    phone_masked: str
    result: Literal["created", "already_enrolled", "refused"]
    enrollment_id: UUID | None = None
    status: str | None = None
    waitlist_position: int | None = None
    code: str | None = None
    detail: str | None = None


class ImportOut(Out):
    """Per-row results of a roster import."""

    class_id: UUID
    created: int
    already_enrolled: int
    refused: int
    rows: list[ImportRowOut]


class StatsOut(Out):
    """Dashboard figures (today = the business time zone's date)."""

    enrolments_today: int
    confirmed_today: int
    waitlisted_today: int
    cancellations_today: int
    seats_capacity: int = Field(description="seats of scheduled classes not yet released")
    seats_filled: int
    waitlisted_total: int
    classes_open: int
    classes_upcoming: int
    trainees: int


# --- list query parameters ----------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_no_nul)
]
Cursor = Annotated[str, StringConstraints(max_length=200)]
Limit = Annotated[int, Field(ge=1, le=100)]


class Query(BaseModel):
    """Query-string parameters (always strings on the wire, so lax parsing)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CourseQuery(Query):
    """Filter courses."""

    category: SearchText | None = None
    q: SearchText | None = None
    cursor: Cursor | None = None
    limit: Limit = 20


class ClassQuery(Query):
    """Filter classes."""

    course_id: UUID | None = None
    category: SearchText | None = None
    open: bool | None = None
    q: SearchText | None = None
    trainer_id: UUID | None = None
    include_cancelled: bool = False
    cursor: Cursor | None = None
    limit: Limit = 20


class UserQuery(Query):
    """Filter users (administrators)."""

    role: Literal["trainee", "trainer", "admin"] | None = None
    q: SearchText | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


class ExportQuery(Query):
    """Roster export options."""

    unmasked: bool = False
