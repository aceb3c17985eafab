"""What callers ask of the fair-places features: lottery, eligibility rules, surveys."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from services.enrollment.commands import Day, Request, _no_nul

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_no_nul),
]
Age = Annotated[int, Field(ge=0, le=120)]
Stars = Annotated[int, Field(ge=1, le=5)]
RuleCode = Literal["union_members_only", "age_unknown", "age_out_of_range",
                   "subsidy_yearly_limit", "subsidy_repeat_level", "level_below_held"]


class SetAllocation(Request):
    """Allocate a class's seats by lottery (摇号) instead of first come, first served.

    Allowed before anyone enrols; the window is the class's enrolment window."""

    mode: Literal["lottery"] = "lottery"
    priority_unsubsidised: bool = Field(
        False, description="Draw applicants without a subsidised place this year first")


class Apply(Request):
    """Apply for a place in a lottery class (no body fields needed)."""


class DrawEarly(Request):
    """Draw the lots before the window closes (administrators; the reason is published)."""

    reason: Reason


class SetCourseRules(Request):
    """A course's eligibility rules for subsidised places."""

    subsidised: bool = True
    min_age: Age | None = None
    max_age: Age | None = None
    max_subsidised_per_year: Annotated[int, Field(ge=1, le=50)] = 2
    no_repeat_level: bool = True
    no_lower_level: bool = True


class GrantException(Request):
    """Let a trainee pass one eligibility rule (of one course, or of every course)."""

    rule: RuleCode
    course_id: UUID | None = None
    reason: Reason


class SetBirthDate(Request):
    """The trainee's birth date (for ID documents that do not carry one)."""

    birth_date: Day | None


class AnswerSurvey(Request):
    """One answer to the survey after a class: five 1-5 star questions and a comment."""

    content: Stars
    trainer: Stars
    venue: Stars
    usefulness: Stars
    recommend: Stars
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000),
                       AfterValidator(_no_nul)] = ""


class AnswerEmployment(Request):
    """Six months on: is the trainee working in this occupation? (optional)"""

    working_in_occupation: bool
