"""Enrolment checked ahead: the same rules as the enrolment, judged at the opening moment."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from services.enrollment.domain.enrollment import ClassWindow, check_can_enrol
from services.enrollment.repository import enrollments as repo
from services.enrollment.views.models.readiness import ReadinessOut
from shared.errors import DomainError, NotFound


async def enrolment_readiness(
    pool: asyncpg.Pool, *, class_id: UUID, trainee_id: UUID, now: datetime
) -> ReadinessOut:
    """Tell the trainee whether an enrolment would be taken once enrolment is open, and why not."""
    async with pool.acquire() as conn:
        ctx = await repo.booking_context(conn, class_id, trainee_id)
    if ctx is None:
        raise NotFound("There is no such class.", code="class_not_found")
    window = ClassWindow(
        status=ctx["class_status"], enroll_opens_at=ctx["enroll_opens_at"],
        enroll_closes_at=ctx["enroll_closes_at"], union_members_only=ctx["union_members_only"],
        results_released=ctx["results_released_at"] is not None,
    )
    code = detail = None
    try:
        # Judged at the opening when it is still ahead: "not open yet" is what the page counts
        # down to, not a reason to refuse.
        check_can_enrol(window, now=max(now, window.enroll_opens_at), via="self",
                        union_member=ctx["union_member"], has_name=bool(ctx["trainee_name"]))
    except DomainError as refusal:
        code, detail = refusal.code, refusal.detail
    existing = ctx["existing_id"]
    return ReadinessOut(
        ready=code is None and existing is None, code=code, detail=detail,
        open_now=window.enroll_opens_at <= now < window.enroll_closes_at and code is None,
        enroll_opens_at=window.enroll_opens_at, enroll_closes_at=window.enroll_closes_at,
        server_time=now, enrollment_id=existing,
    )
