"""Attendance, exam eligibility and pass/fail."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.errors import InvalidState, ValidationFailed

ATTENDANCE_STATUSES = ("present", "late", "excused", "absent")
# A late arrival still attended the day; an excused absence does not add hours.
_COUNTS = frozenset({"present", "late"})
DEFAULT_THRESHOLD = Decimal("0.8")


def hours_attended(marks: Mapping[date, str], *, hours_per_day: Decimal) -> Decimal:
    """Return the hours a trainee attended."""
    return sum((hours_per_day for s in marks.values() if s in _COUNTS), Decimal(0))


def attendance_rate(marks: Mapping[date, str], *, days: int) -> Decimal:
    """Return the share of class days attended (0-1)."""
    if days <= 0:
        return Decimal(0)
    attended = sum(1 for s in marks.values() if s in _COUNTS)
    return min(Decimal(1), Decimal(attended) / Decimal(days))


def check_class_day(day: date, days: Iterable[date]) -> None:
    """Refuse attendance for a date that is not one of the class days."""
    if day not in set(days):
        raise ValidationFailed("That date is not a day of this class.", code="not_a_class_day")


def check_releasable(today: date, *, starts_on: date, ends_on: date) -> None:
    """Refuse a release before the last class day has begun (local date): every day still to
    come would count as an absence, and a trainee failed that way cannot be put right."""
    if today < starts_on:
        raise InvalidState("The class has not started yet.", code="class_not_started")
    if today < ends_on:
        raise InvalidState("Results can be released once the last class day has begun.",
                           code="class_not_finished", ends_on=ends_on.isoformat())


def days_without_attendance(
    days: Iterable[date], marks: Iterable[Mapping[date, str]], *, today: date
) -> list[date]:
    """Return the class days up to today on which nobody's attendance was taken."""
    taken = {day for per_trainee in marks for day in per_trainee}
    return [d for d in days if d <= today and d not in taken]


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything that decides a trainee's result."""

    rate: Decimal
    threshold: Decimal
    theory: Decimal | None
    practical: Decimal | None
    theory_pass: Decimal
    practical_pass: Decimal
    # Set when hours from check-ins decide: the exact minutes against the course's minimum
    # (`rate` is rounded for display, so comparing it with the threshold could be off).
    hours_enough: bool | None = None

    @property
    def eligible(self) -> bool:
        """Tell whether attendance (the hours, when they decide) reached the exam's minimum."""
        if self.hours_enough is not None:
            return self.hours_enough
        return self.rate >= self.threshold

    @property
    def scored(self) -> bool:
        """Tell whether both scores are in."""
        return self.theory is not None and self.practical is not None

    @property
    def passed(self) -> bool:
        """Tell whether the trainee passed: eligible and both scores at the pass marks."""
        return (
            self.eligible
            and self.theory is not None
            and self.practical is not None
            and self.theory >= self.theory_pass
            and self.practical >= self.practical_pass
        )

    def fingerprint(self, hours: Decimal) -> str:
        """Return a digest of what a released result says; a change means a correction."""
        text = f"{self.theory}|{self.practical}|{hours}|{self.rate:.4f}|{self.passed}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]
