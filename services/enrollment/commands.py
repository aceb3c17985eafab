"""What callers ask the enrollment service to do (imperative names), as validated requests."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def _plausible_day(value: date) -> date:
    # Far dates overflow time zone arithmetic and PostgreSQL's ranges: refuse them up front.
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("must be within the years 2000-2100")
    return value


def _plausible_moment(value: datetime) -> datetime:
    _plausible_day(value.date())
    return value


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("is a local time of the class: give no UTC offset")
    return value


def _one_decimal(value: float) -> float:
    # The database keeps one decimal (numeric(_, 1)): refuse what it would silently round.
    if abs(value * 10 - round(value * 10)) > 1e-6:
        raise ValueError("may have at most one decimal")
    return value


Day = Annotated[date, AfterValidator(_plausible_day)]
Moment = Annotated[AwareDatetime, AfterValidator(_plausible_moment)]
LocalTime = Annotated[time, AfterValidator(_local_time)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_nul),
]
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=4000), AfterValidator(_no_nul)
]
PhoneText = Annotated[str, StringConstraints(max_length=40), AfterValidator(_no_nul)]
Secret = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"
    ),
]
CourseCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
]
Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
PassMark = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False), AfterValidator(_one_decimal)]
CourseHours = Annotated[
    float, Field(ge=0.5, le=10_000, allow_inf_nan=False), AfterValidator(_one_decimal)
]
Locale = Literal["zh-CN", "en"]
IdType = Literal["resident_id", "passport", "hk_macao_permit", "taiwan_permit", "other"]
AttendanceStatus = Literal["present", "late", "excused", "absent"]
WaitlistPolicy = Literal["auto_promote", "offer"]


class Request(BaseModel):
    """A request body: strict types, unknown fields ignored, immutable."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


# --- identity -----------------------------------------------------------------------------


class RequestOtp(Request):
    """Send a sign-in code to a mobile number."""

    phone: PhoneText
    locale: Locale | None = None


class IssueToken(Request):
    """Sign in with a code (trainees) or a password (trainers, administrators)."""

    phone: PhoneText
    code: Annotated[str, StringConstraints(max_length=16), AfterValidator(_no_nul)] | None = None
    password: Secret | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if (self.code is None) == (self.password is None):
            raise ValueError("give either code or password")
        return self


class UpdateProfile(Request):
    """Change one's own profile; fields left out stay as they are.

    Union membership is not here: it opens union-only classes, so only administrators (and
    roster imports) record it."""

    name: Name | None = None
    email: Email | None = None
    locale: Locale | None = None
    employer: ShortText | None = None
    id_type: IdType | None = None
    id_number: Annotated[str, StringConstraints(max_length=40), AfterValidator(_no_nul)] | None = (
        None
    )

    @model_validator(mode="after")
    def _id_pair(self) -> Self:
        if (self.id_number is None) != (self.id_type is None) and self.id_number is not None:
            raise ValueError("id_number needs id_type")
        return self


class CreateUser(Request):
    """Create a trainer or administrator account."""

    role: Literal["trainer", "admin"]
    phone: PhoneText
    name: Name
    password: Secret


class ChangeRole(Request):
    """Make a staff account a trainer or an administrator."""

    role: Literal["trainer", "admin"]


class ResetPassword(Request):
    """Give a staff account a temporary password the user must change at next sign-in."""

    password: Secret


class ChangePassword(Request):
    """Replace one's own password, proving the current one."""

    phone: PhoneText
    password: Secret
    new_password: Secret


class UpdateUser(Request):
    """Record what an administrator vouches for about a user: union membership."""

    union_member: bool


# --- catalogue ----------------------------------------------------------------------------


class CreateCourse(Request):
    """Publish a course."""

    code: CourseCode
    title_zh: Title
    title_en: Title
    category: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
        AfterValidator(_no_nul),
    ]
    occupation_code: ShortText | None = None
    occupation_name: Title | None = None
    work_type: ShortText | None = None
    level: Annotated[int, Field(ge=1, le=5)] | None = None
    required_hours: CourseHours
    theory_pass: PassMark = 60
    practical_pass: PassMark = 60
    certificate_validity_months: Annotated[int, Field(ge=1, le=600)] | None = None
    issue_policy: Literal["auto", "approval"] = "auto"
    attendance_threshold: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.8
    description: LongText = ""
    move_cutoff_days: Annotated[int, Field(
        ge=0, le=60, description="a trainee may move to another class until this many days "
        "before its first class day (1: until the day before, exclusive)")] = 1


Capacity = Annotated[int, Field(ge=1, le=100_000)]
Threshold = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
HoursPerDay = Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)]
OfferHours = Annotated[int, Field(ge=1, le=336)]
Venue = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]


class CreateClass(Request):
    """Schedule a class (班次) of a course."""

    course_id: UUID
    name: ShortText = ""
    trainer_ids: Annotated[list[UUID], Field(max_length=20)] = []
    capacity: Capacity
    starts_on: Day
    ends_on: Day
    schedule_days: Annotated[list[Day], Field(max_length=366)] | None = None
    session_start: LocalTime | None = None
    hours_per_day: HoursPerDay | None = None
    venue: Venue
    online: bool = False
    enroll_opens_at: Moment | None = None
    enroll_closes_at: Moment | None = None
    waitlist_policy: WaitlistPolicy = "auto_promote"
    offer_hours: OfferHours = 24
    union_members_only: bool = False
    attendance_threshold: Threshold | None = None


class UpdateClass(Request):
    """Change a class; growing the capacity gives seats to the waitlist at once."""

    name: ShortText | None = None
    capacity: Capacity | None = None
    trainer_ids: Annotated[list[UUID], Field(max_length=20)] | None = None
    venue: Venue | None = None
    online: bool | None = None
    session_start: LocalTime | None = None
    enroll_opens_at: Moment | None = None
    enroll_closes_at: Moment | None = None
    waitlist_policy: WaitlistPolicy | None = None
    offer_hours: OfferHours | None = None
    union_members_only: bool | None = None
    attendance_threshold: Threshold | None = None


class CancelClass(Request):
    """Cancel a class; every live enrolment is cancelled and the trainee told."""

    reason: ShortText | None = None


class RescheduleClass(Request):
    """Move a class to new days (and optionally a new venue); every trainee is told."""

    starts_on: Day
    ends_on: Day
    schedule_days: Annotated[list[Day], Field(max_length=366)] | None = None
    session_start: LocalTime | None = None
    venue: Venue | None = None
    online: bool | None = None


# --- enrolment ----------------------------------------------------------------------------


class Enrol(Request):
    """Enrol oneself in a class."""

    class_id: UUID


class MoveEnrolment(Request):
    """Move one's confirmed seat to another class of the same course (改期)."""

    class_id: UUID


class AdminEnrol(Request):
    """Enrol a trainee (by account or phone number) as an administrator."""

    trainee_id: UUID | None = None
    phone: PhoneText | None = None
    name: Name | None = None
    union_member: bool | None = Field(
        None, description="record (or clear) the trainee's union membership")

    @model_validator(mode="after")
    def _one_trainee(self) -> Self:
        if (self.trainee_id is None) == (self.phone is None):
            raise ValueError("give either trainee_id or phone")
        return self


class AttendanceRecord(Request):
    """One trainee's mark for one class day."""

    enrollment_id: UUID
    status: AttendanceStatus


class MarkAttendance(Request):
    """Mark attendance for one class day."""

    records: Annotated[list[AttendanceRecord], Field(min_length=1, max_length=5000)]


class EnterResult(Request):
    """Enter (or correct) a trainee's theory and practical scores."""

    theory_score: Score | None = None
    practical_score: Score | None = None
