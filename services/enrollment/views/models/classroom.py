"""Responses of rosters, attendance, results, imports and the dashboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.enrollment.views.models.base import Out


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
    insufficient_hours: list[UUID] = Field(
        default_factory=list, description="released as not passed: by check-ins, fewer than "
        "the course's minimum share of the required hours (a pass would not be certifiable)")


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
