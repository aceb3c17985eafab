"""What callers ask for about training evidence: session times, check-ins, corrections."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.enrollment.commands import Day, LocalTime, LongText, Moment, ShortText


class SessionTimes(BaseModel):
    """One session's local start and end time."""

    model_config = ConfigDict(extra="forbid")
    starts_at: LocalTime
    ends_at: LocalTime


class SetSessions(BaseModel):
    """Give some class days (default: every one) these sessions."""

    model_config = ConfigDict(extra="forbid")
    times: list[SessionTimes] = Field(min_length=1, max_length=8)
    days: list[Day] = Field(default_factory=list, max_length=400)


class Location(BaseModel):
    """Where the phone says it is."""

    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(0, ge=0, le=100_000)


Kind = Literal["in", "out"]


class CheckIn(BaseModel):
    """A trainee checks in or out with the token of the trainer's QR code."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=400)
    kind: Kind | None = None
    location: Location | None = None
    # The browser's own random id (kept in its storage) when it sends no device cookie.
    device: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{16,64}$")


class RecordCheckin(BaseModel):
    """A trainer records or corrects one trainee's check-in of one session, with a reason.

    `confirm_to_end`: a missing check-out counts to the end of the session."""

    model_config = ConfigDict(extra="forbid")
    checked_in_at: Moment | None = None
    checked_out_at: Moment | None = None
    confirm_to_end: bool = False
    reason: ShortText = Field(min_length=2)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if (self.checked_in_at and self.checked_out_at
                and self.checked_out_at < self.checked_in_at):
            raise ValueError("checked_out_at is before checked_in_at")
        return self


class SetGeofence(BaseModel):
    """The venue's position and the radius check-ins must fall within (null: no geofence)."""

    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    radius_m: int | None = Field(None, ge=20, le=50_000)

    @model_validator(mode="after")
    def _all_or_none(self) -> Self:
        given = [v is not None for v in (self.lat, self.lng, self.radius_m)]
        if any(given) and not all(given):
            raise ValueError("give lat, lng and radius_m together, or none of them")
        return self


class SetPlans(BaseModel):
    """The class's teaching and assessment plans, printed on the class-opening application."""

    model_config = ConfigDict(extra="forbid")
    teaching_plan: LongText | None = None
    assessment_plan: LongText | None = None


PersonCategory = Literal["employed", "unemployed", "migrant_worker", "poverty_alleviated",
                         "graduate", "other"]


class SetPersonCategory(BaseModel):
    """A trainee's person category for the bureau's roster (在职职工, 失业人员 ...)."""

    model_config = ConfigDict(extra="forbid")
    person_category: PersonCategory | None


class SetMinAttendance(BaseModel):
    """A course's minimum share of its required hours."""

    model_config = ConfigDict(extra="forbid")
    min_attendance_ratio: Decimal = Field(ge=Decimal("0.1"), le=1, decimal_places=3)
