"""Responses about enrolments: the booking answer, details, history."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.enrollment.views.models.base import Out
from services.enrollment.views.models.catalogue import CourseBrief

# A response model's class name is its schema name in the published OpenAPI document (and the
# web front's types refer to it): EnrolmentOut, EnrolmentDetail and EnrolmentList keep that
# spelling; everything else in the code spells enrollment.


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
