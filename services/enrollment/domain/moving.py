"""Moving a confirmed enrolment to another class of the same course (改期): pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from shared.errors import InvalidState, ValidationFailed


@dataclass(frozen=True, slots=True)
class MoveSide:
    """What the rules read of the class moved from or to."""

    class_id: UUID
    course_id: UUID
    status: str
    starts_on: date
    results_released: bool
    capacity: int
    seats_taken: int


def move_cutoff(starts_on: date, cutoff_days: int) -> date:
    """Return the first day on which a class can no longer be moved from or to."""
    return starts_on - timedelta(days=cutoff_days)


def check_can_move(
    *, status: str, old: MoveSide, new: MoveSide, today: date, cutoff_days: int
) -> None:
    """Refuse a move the rules do not allow (same course, free seat, before both cut-offs)."""
    if status != "confirmed":
        raise InvalidState("Only a confirmed seat can be moved to another class.",
                           code="move_not_confirmed", status_now=status)
    if new.course_id != old.course_id:
        raise ValidationFailed("A seat moves only to another class of the same course.",
                               code="move_other_course")
    if new.status != "scheduled" or new.results_released:
        raise InvalidState("That class takes no enrolments.", code="move_class_closed")
    for side in (old, new):
        last = move_cutoff(side.starts_on, cutoff_days) - timedelta(days=1)
        if today > last:
            raise InvalidState(
                "Moves close the day before the first class day."
                if cutoff_days == 1 else f"Moves close {cutoff_days} days before the start.",
                code="move_cutoff_passed", class_id=str(side.class_id),
                last_day=last.isoformat(),
            )
    if new.seats_taken >= new.capacity:
        raise InvalidState("That class has no free seat.", code="move_class_full")
