"""Enrolment checked ahead (the flash-sale morning)."""

from __future__ import annotations

from services.enrollment.api.base import deps, routes
from services.enrollment.handlers import readiness as handlers
from services.enrollment.views.models.readiness import ReadinessOut
from shared.web.api import ApiRequest

TAGS = ("enrolment",)


@routes.get("/api/v1/classes/{class_id}/readiness", response=ReadinessOut, roles={"trainee"},
            tags=TAGS)
async def class_readiness(req: ApiRequest[None, None]) -> ReadinessOut:
    """Tell the caller whether one tap will enrol them once enrolment opens (and why not)."""
    return await handlers.enrolment_readiness(
        req.path_uuid("class_id"), trainee_id=req.user.user_id, deps=deps(req))
