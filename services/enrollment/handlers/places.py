"""Judge a place in a class by domain/places.py: enrolling, readiness and moving all come here.

The course's facts are read (under the trainee's place lock with `lock`) only once every other
check passes, so a refused booking in a flash sale costs no further read."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain import places
from services.enrollment.domain.enrollment import ClassWindow
from services.enrollment.domain.places import PlaceContext, PlaceRequest
from services.enrollment.handlers.eligibility import refusals_of
from services.enrollment.repository import Row
from shared.db import Conn
from shared.errors import DomainError


def context_of(row: Row) -> PlaceContext:
    """Return what the checks read of a booking context (`repository.enrollments`)."""
    return PlaceContext(
        window=window_of(row), lottery_drawn=row["lottery_drawn"],
        trainee_role=row["trainee_role"], has_name=bool(row["trainee_name"]),
        union_member=row["union_member"], existing_id=row["existing_id"],
        course_rules=row["has_course_rules"],
    )


def window_of(row: Row) -> ClassWindow:
    """Return the enrolment window of a booking context."""
    return ClassWindow(
        status=row["class_status"], enroll_opens_at=row["enroll_opens_at"],
        enroll_closes_at=row["enroll_closes_at"], union_members_only=row["union_members_only"],
        results_released=row["results_released_at"] is not None,
    )


async def place_refusal(
    conn: Conn, deps: Deps, row: Row, req: PlaceRequest, *, lock: bool = False,
    moving: UUID | None = None,
) -> DomainError | None:
    """Return what refuses this trainee a place in this class, else None (`lock`, `moving`:
    see `handlers.eligibility.refusals_of`)."""
    ctx = context_of(row)
    if not places.needs_course_facts(ctx, req):
        return places.place_refusal(ctx, req)
    found = await refusals_of(conn, deps, row["class_id"], [row["trainee_id"]],
                              union_rule=False, lock=lock, moving=moving)
    return places.place_refusal(ctx, req, found.get(row["trainee_id"], []))


async def check_place(
    conn: Conn, deps: Deps, row: Row, req: PlaceRequest, *, lock: bool = False,
    moving: UUID | None = None,
) -> None:
    """Refuse a place the rules do not allow (reads only, writes nothing)."""
    found = await place_refusal(conn, deps, row, req, lock=lock, moving=moving)
    if found is not None:
        raise found
