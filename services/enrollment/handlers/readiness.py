"""Enrolment checked ahead: the enrolment's own checks, judged at the opening moment."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.places import PlaceRequest
from services.enrollment.handlers.access import class_not_found
from services.enrollment.handlers.places import place_refusal, window_of
from services.enrollment.repository import enrollments as repo
from services.enrollment.views.models.readiness import ReadinessOut


async def enrolment_readiness(class_id: UUID, *, trainee_id: UUID, deps: Deps) -> ReadinessOut:
    """Tell the trainee whether an enrolment would be taken once enrolment is open, and why not."""
    now = deps.clock.now()
    async with deps.pool.acquire() as conn:
        ctx = await repo.booking_context(conn, class_id, trainee_id)
        if ctx is None:
            raise class_not_found()
        window = window_of(ctx)
        # The checks of the enrolment, judged at the opening while it is still ahead:
        # "not open yet" is what the page counts down to, not a reason to refuse.
        at = max(now, window.enroll_opens_at)
        refusal = await place_refusal(conn, deps, ctx, PlaceRequest(via="self", now=at))
    ready = refusal is None
    return ReadinessOut(
        ready=ready, code=refusal.code if refusal is not None else None,
        detail=refusal.detail if refusal is not None else None,
        open_now=ready and window.enroll_opens_at <= now < window.enroll_closes_at,
        enroll_opens_at=window.enroll_opens_at, enroll_closes_at=window.enroll_closes_at,
        server_time=now, enrollment_id=ctx["existing_id"],
    )
