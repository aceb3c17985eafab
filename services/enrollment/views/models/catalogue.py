"""Responses of the catalogue: courses and classes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from pydantic import Field

from services.enrollment.views.models.base import Out


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
    move_cutoff_days: int = Field(description="moves to another class close this many days "
                                  "before a class's first day")


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
