"""The enrolment state machine and seat rules (who may take a place: domain/places.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from shared.errors import InvalidState

Via = Literal["self", "bulk", "admin"]
ActorRole = Literal["trainee", "trainer", "examiner", "admin", "system"]
WaitlistPolicy = Literal["auto_promote", "offer"]


class Status(StrEnum):
    """Where an enrolment stands."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class Action(StrEnum):
    """What can happen to an enrolment after it was booked."""

    PROMOTE = "promote"
    OFFER = "offer"
    ACCEPT = "accept"
    CANCEL = "cancel"
    EXPIRE_OFFER = "expire_offer"
    ATTEND = "attend"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    RESCHEDULE = "reschedule"
    REMIND = "remind"


S = Status
# Every state an action may start from; anything else is refused.
ALLOWED: dict[Action, frozenset[Status]] = {
    Action.PROMOTE: frozenset({S.WAITLISTED}),
    Action.OFFER: frozenset({S.WAITLISTED}),
    Action.ACCEPT: frozenset({S.OFFERED}),
    Action.CANCEL: frozenset({S.CONFIRMED, S.WAITLISTED, S.OFFERED}),
    Action.EXPIRE_OFFER: frozenset({S.OFFERED}),
    Action.ATTEND: frozenset({S.CONFIRMED}),
    Action.COMPLETE: frozenset({S.CONFIRMED, S.ATTENDED, S.COMPLETED, S.NO_SHOW}),
    Action.NO_SHOW: frozenset({S.CONFIRMED}),
    Action.RESCHEDULE: frozenset({S.CONFIRMED, S.WAITLISTED, S.OFFERED}),
    Action.REMIND: frozenset({S.CONFIRMED}),
}
# States that occupy one of the class's seats.
SEAT_HOLDING = frozenset({S.CONFIRMED, S.OFFERED, S.ATTENDED, S.COMPLETED, S.NO_SHOW})
# States still waiting for or holding a place before the class is over.
LIVE = frozenset({S.CONFIRMED, S.WAITLISTED, S.OFFERED})
# States that can be marked and scored.
ON_ROSTER = frozenset({S.CONFIRMED, S.ATTENDED, S.COMPLETED, S.NO_SHOW})

_REFUSALS: dict[Action, tuple[str, str]] = {
    Action.ACCEPT: ("no_offer", "There is no seat offer to accept for this enrolment."),
    Action.CANCEL: ("not_cancellable", "This enrolment can no longer be cancelled."),
    Action.ATTEND: ("not_on_roster", "This enrolment holds no seat in the class."),
    Action.COMPLETE: ("not_on_roster", "This enrolment holds no seat in the class."),
}


def require(status: str, action: Action) -> Status:
    """Return the status if `action` may start from it, else refuse with a clear code."""
    current = Status(status)
    if current not in ALLOWED[action]:
        code, detail = _REFUSALS.get(
            action, ("invalid_transition", f"Cannot {action.value} a {current.value} enrolment.")
        )
        raise InvalidState(detail, code=code, status_now=current.value)
    return current


def cancel_reason(status: Status, actor_role: ActorRole) -> str:
    """Return why an enrolment ends when someone cancels it in `status`."""
    if actor_role == "admin":
        return "by_admin"
    return "offer_declined" if status is S.OFFERED else "by_trainee"


def frees_seat(status: Status) -> bool:
    """Tell whether leaving `status` gives a seat back to the class."""
    return status in SEAT_HOLDING


@dataclass(frozen=True, slots=True)
class ClassWindow:
    """What decides whether a class takes enrolments now."""

    status: str
    enroll_opens_at: datetime
    enroll_closes_at: datetime
    union_members_only: bool
    results_released: bool


def check_trainee_may_cancel(status: Status, *, today: date, starts_on: date) -> None:
    """Refuse a trainee's cancellation once the class has begun (an administrator may)."""
    if status is S.CONFIRMED and today >= starts_on:
        raise InvalidState(
            "The class has started; ask the organiser to cancel.", code="class_started"
        )


def seats_to_fill(*, capacity: int, seats_taken: int, waitlist_length: int) -> int:
    """Return how many heads of the waitlist get a seat now (promoted or offered)."""
    return max(0, min(capacity - seats_taken, waitlist_length))


def is_open(cls: ClassWindow, now: datetime) -> bool:
    """Tell whether trainees may enrol themselves now."""
    return (
        cls.status == "scheduled"
        and not cls.results_released
        and cls.enroll_opens_at <= now < cls.enroll_closes_at
    )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who causes a transition: a user in a role, or the system (jobs, operators' CLI)."""

    id: UUID | None
    role: ActorRole

    @classmethod
    def system(cls) -> Actor:
        """Return the actor of background jobs."""
        return cls(None, "system")
