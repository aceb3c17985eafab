"""Response models of the lottery, eligibility and survey endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.enrollment.views.models.base import Out


class AllocationOut(Out):
    """A class's allocation mode and, for a lottery, its commitment."""

    class_id: UUID
    mode: Literal["first_come", "lottery"]
    commitment: str | None = None
    priority_unsubsidised: bool = False


class ApplicationOut(Out):
    """An application to a lottery class."""

    id: UUID
    class_id: UUID
    status: Literal["applied", "withdrawn", "drawn"]
    outcome: Literal["offered", "waitlisted", "ineligible"] | None = None
    rank: int | None = None
    created_at: datetime
    course_title_zh: str = ""
    course_title_en: str = ""
    starts_on: date | None = None
    closes_at: datetime | None = None


class ApplicationList(Out):
    """The caller's applications, newest first."""

    items: list[ApplicationOut]


class DrawEntry(Out):
    """One application in the published draw."""

    application_id: UUID
    name_masked: str
    group: int = Field(description="0 is drawn before 1 (priority option)")
    rank: int
    outcome: Literal["offered", "waitlisted", "ineligible"]


class DrawDocument(Out):
    """The public record of a lottery: enough to recompute the draw without trusting us."""

    class_id: UUID
    algorithm: str
    algorithm_text: str
    commitment: str = Field(description="sha256(seed), hex, published before the draw")
    seed: str | None = Field(None, description="hex; published at the draw")
    status: Literal["upcoming", "open", "closed", "drawn"]
    opens_at: datetime
    closes_at: datetime
    priority_unsubsidised: bool
    applications: int
    seats: int | None = None
    drawn_at: datetime | None = None
    early_reason: str | None = None
    entries: list[DrawEntry] = Field(default_factory=list)


class DrawOut(Out):
    """What a draw did."""

    class_id: UUID
    drawn: bool
    applications: int = 0
    offers: int = 0
    waitlisted: int = 0
    ineligible: int = 0


class RefusalOut(Out):
    """One rule a trainee does not meet."""

    code: str
    detail: str


class EligibilityOut(Out):
    """Whether a trainee may apply for / enrol in a class, and why not."""

    class_id: UUID
    eligible: bool
    reasons: list[RefusalOut]


class ExceptionOut(Out):
    """An exception an administrator granted."""

    id: UUID
    trainee_id: UUID
    rule: str
    course_id: UUID | None
    reason: str
    granted_by: UUID
    granted_at: datetime


class ExceptionList(Out):
    """A trainee's exceptions, newest first."""

    items: list[ExceptionOut]


class CourseRulesOut(Out):
    """A course's eligibility rules."""

    course_id: UUID
    subsidised: bool
    min_age: int | None
    max_age: int | None
    max_subsidised_per_year: int
    no_repeat_level: bool
    no_lower_level: bool


class MySurvey(Out):
    """A survey of the caller's, with the code that opens it."""

    enrollment_id: UUID
    class_id: UUID
    code: str
    answered: bool
    followup_open: bool
    course_title_zh: str
    course_title_en: str


class MySurveyList(Out):
    """The caller's surveys, newest first."""

    items: list[MySurvey]


class SurveyOut(Out):
    """A survey as its page shows it (opened by its code)."""

    code: str
    course_title_zh: str
    course_title_en: str
    starts_on: date
    ends_on: date
    questions: list[dict[str, str]]
    answered: bool
    followup_open: bool
    followup_answered: bool


class SurveyRow(Out):
    """The averages (1-5) of one class or one trainer."""

    key: str
    label: str
    invited: int
    answers: int
    averages: dict[str, float | None]
    followup_answers: int
    working_in_occupation: int


class SurveyResults(Out):
    """Survey results per class or per trainer."""

    by: Literal["class", "trainer"]
    rows: list[SurveyRow]
    comments: list[str] = Field(default_factory=list)
