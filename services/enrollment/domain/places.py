"""Who may take a place in a class: the one check behind enrolling (self-service, bulk, admin),
the readiness check ahead of the opening, and moving a seat in from another class. Pure, no I/O.

The checks run in a fixed order and the first one failed refuses, with its stable code. The
course's eligibility rules (domain/eligibility.py) come last: their facts cost a read and a
lock, so a caller reads them only once everything else passes and hands in what they refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.enrollment.domain.eligibility import Refusal, refused
from services.enrollment.domain.enrollment import ClassWindow, Via
from shared.errors import Conflict, DomainError, Forbidden, InvalidState


@dataclass(frozen=True, slots=True)
class PlaceContext:
    """What the checks read of a class and a trainee (one row of the repository)."""

    window: ClassWindow
    lottery_drawn: bool | None  # None: a first-come class; else a lottery, drawn or not
    trainee_role: str
    has_name: bool
    union_member: bool
    existing_id: UUID | None  # the trainee's live enrolment in this class
    course_rules: bool  # the course has eligibility rules (their facts are read apart)


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    """Who asks, and when; `moving`: a confirmed seat moves in from a class of the course."""

    via: Via
    now: datetime
    moving: bool = False


Check = Callable[[PlaceContext, PlaceRequest], DomainError | None]


def _trainee(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    if ctx.trainee_role != "trainee":
        return InvalidState("Only trainee accounts can be enrolled.", code="not_a_trainee")
    return None


def _class_live(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    if ctx.window.status == "cancelled":
        return InvalidState("This class has been cancelled.", code="class_cancelled")
    if ctx.window.results_released:
        return InvalidState("This class is over.", code="enrolment_closed")
    return None


def _window(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    """Bind trainees (staff enrol at any time): never before the opening, for a move too (it
    would take a seat ahead of the opening rush); a moving seat was taken in its old class's
    window, so the close does not bind a move (moves close at their own cut-off)."""
    if req.via != "self":
        return None
    if req.now < ctx.window.enroll_opens_at:
        return InvalidState("Enrolment for this class has not opened yet.",
                            code="enrolment_not_open",
                            opens_at=ctx.window.enroll_opens_at.isoformat())
    if req.now >= ctx.window.enroll_closes_at and not req.moving:
        return InvalidState("Enrolment for this class has closed.", code="enrolment_closed")
    return None


def _union(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    if ctx.window.union_members_only and not ctx.union_member:
        return Forbidden("This class is open to trade union members only.",
                         code="union_members_only")
    return None


def _name(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    if ctx.has_name:
        return None
    return InvalidState(
        "Add your name to your profile before enrolling." if req.via == "self"
        else "This trainee has not added a name yet; they must add it in their profile "
        "before they can be enrolled.",
        code="profile_incomplete",
    )


def _allocation(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    """Trainees apply to a lottery class; staff place trainees only after its draw."""
    if ctx.lottery_drawn is None:
        return None
    if req.via == "self":
        return InvalidState("Seats in this class are drawn by lot: apply instead.",
                            code="lottery_class")
    if not ctx.lottery_drawn:
        return InvalidState("Seats in this class are drawn by lot; enrol trainees after the "
                            "draw (they join the end of the waitlist).", code="lottery_not_drawn")
    return None


def _one_per_class(ctx: PlaceContext, req: PlaceRequest) -> DomainError | None:
    if ctx.existing_id is None:
        return None
    return already_enrolled(ctx.existing_id)


# In the order they refuse; the course's rules follow them all.
CHECKS: tuple[Check, ...] = (_trainee, _class_live, _window, _union, _name, _allocation,
                             _one_per_class)


def place_refusal(
    ctx: PlaceContext, req: PlaceRequest, course: Sequence[Refusal] = ()
) -> DomainError | None:
    """Return the first check refusing the place, else None (`course`: the course's rules the
    trainee fails, read once the other checks pass, see `needs_course_facts`)."""
    for check in CHECKS:
        if (found := check(ctx, req)) is not None:
            return found
    return refused(course)


def needs_course_facts(ctx: PlaceContext, req: PlaceRequest) -> bool:
    """Tell whether the course's rules decide: it has some, and nothing else refuses."""
    return ctx.course_rules and place_refusal(ctx, req) is None


def check_place(ctx: PlaceContext, req: PlaceRequest, course: Sequence[Refusal] = ()) -> None:
    """Refuse a place the checks do not allow (capacity never refuses: a full class waitlists)."""
    if (found := place_refusal(ctx, req, course)) is not None:
        raise found


def already_enrolled(enrollment_id: UUID | None) -> Conflict:
    """Return the refusal of a second live enrolment of one trainee in one class."""
    extra = {"enrollment_id": str(enrollment_id)} if enrollment_id else {}
    return Conflict(
        "This trainee is already enrolled in this class.", code="already_enrolled", **extra
    )
