"""Enrolment checked ahead: the enrolment's own checks, judged at the opening moment."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import ClassWindow, check_can_enrol
from services.enrollment.domain.lottery import check_allocation
from services.enrollment.handlers.access import class_not_found
from services.enrollment.handlers.eligibility import require_eligible_for
from services.enrollment.repository import enrollments as repo
from services.enrollment.views.models.readiness import ReadinessOut
from shared.errors import DomainError


async def enrolment_readiness(class_id: UUID, *, trainee_id: UUID, deps: Deps) -> ReadinessOut:
    """Tell the trainee whether an enrolment would be taken once enrolment is open, and why not."""
    now = deps.clock.now()
    code = detail = None
    async with deps.pool.acquire() as conn:
        ctx = await repo.booking_context(conn, class_id, trainee_id)
        if ctx is None:
            raise class_not_found()
        window = ClassWindow(
            status=ctx["class_status"], enroll_opens_at=ctx["enroll_opens_at"],
            enroll_closes_at=ctx["enroll_closes_at"],
            union_members_only=ctx["union_members_only"],
            results_released=ctx["results_released_at"] is not None,
        )
        try:
            # The checks of book_in_context, judged at the opening while it is still ahead:
            # "not open yet" is what the page counts down to, not a reason to refuse.
            check_can_enrol(window, now=max(now, window.enroll_opens_at), via="self",
                            union_member=ctx["union_member"],
                            has_name=bool(ctx["trainee_name"]))
            check_allocation(ctx["lottery_drawn"], via="self")
            if ctx["has_course_rules"]:
                await require_eligible_for(conn, deps, class_id, trainee_id, union_rule=False)
        except DomainError as refusal:
            code, detail = refusal.code, refusal.detail
    existing = ctx["existing_id"]
    return ReadinessOut(
        ready=code is None and existing is None, code=code, detail=detail,
        open_now=window.enroll_opens_at <= now < window.enroll_closes_at and code is None,
        enroll_opens_at=window.enroll_opens_at, enroll_closes_at=window.enroll_closes_at,
        server_time=now, enrollment_id=existing,
    )
