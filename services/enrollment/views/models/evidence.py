"""Response models of training evidence: sessions, check-ins, minutes attended, claim pack."""

from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from services.enrollment.views.models.base import Out


class SessionOut(Out):
    """One session of a class day."""

    date: date
    no: int
    starts_at: time
    ends_at: time
    minutes: int


class SessionsOut(Out):
    """Every session of a class, in order."""

    class_id: UUID
    items: list[SessionOut]
    planned_minutes: int


class CheckinCodeOut(Out):
    """The code the trainer's screen shows now; fetch the next one at `refresh_at`."""

    token: str
    path: str
    url: str
    qr: list[str]
    kind: str
    session: SessionOut
    issued_at: datetime
    expires_at: datetime
    refresh_at: datetime


class CheckinOut(Out):
    """What a trainee's scan recorded."""

    enrollment_id: UUID
    date: date
    no: int
    kind: str
    recorded_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    flags: list[str]
    already_recorded: bool


class ClassCheckin(Out):
    """One trainee's check-in of one session, as the trainer reviews it."""

    enrollment_id: UUID
    name: str
    date: date
    no: int
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    in_source: str | None
    out_source: str | None
    flags: list[str]
    confirmed_to_end: bool
    corrections: int


class ClassCheckinsOut(Out):
    """Every check-in of a class, by session and roster order."""

    class_id: UUID
    items: list[ClassCheckin]


class GeofenceOut(Out):
    """A class's venue geofence (nulls: none)."""

    class_id: UUID
    lat: float | None
    lng: float | None
    radius_m: int | None


class SessionMinutes(Out):
    """What one session counts for one trainee."""

    date: date
    no: int
    minutes: int
    planned: int
    late: bool
    left_early: bool
    missing_checkout: bool
    overridden: bool


class TraineeHoursOut(Out):
    """One trainee's hours: attended minutes against the required ones, and why at risk."""

    enrollment_id: UUID
    name: str
    status: str
    minutes: int
    hours: float
    ratio: float
    enough: bool
    late: int
    left_early: int
    missing_checkouts: int
    at_risk: list[str]
    warned: list[str]
    sessions: list[SessionMinutes]


class ClassHoursOut(Out):
    """Hours of every trainee on a class's roster."""

    class_id: UUID
    planned_minutes: int
    required_minutes: int
    min_attendance_ratio: float
    by_checkin: bool
    items: list[TraineeHoursOut]


class MinAttendanceOut(Out):
    """A course's minimum share of required hours for a certifiable pass."""

    course_id: UUID
    min_attendance_ratio: float


class TemplateOut(Out):
    """One city template of the claim pack."""

    id: str
    name: str
    city: str


class TemplatesOut(Out):
    """Every city template."""

    items: list[TemplateOut]


class PlansOut(Out):
    """A class's teaching and assessment plans."""

    teaching_plan: str
    assessment_plan: str


class PersonCategoryOut(Out):
    """A user's person category (null: not given)."""

    person_category: str | None
