"""Applying for a place in a lottery class; one's own applications."""

from __future__ import annotations

from services.enrollment.api.base import deps, routes
from services.enrollment.commands_fair import Apply
from services.enrollment.handlers import applications as handlers
from services.enrollment.views.models.fair import ApplicationList, ApplicationOut
from shared.web.api import ApiRequest

TAGS = ("lottery",)


@routes.post("/api/v1/classes/{class_id}/applications", body=Apply, response=ApplicationOut,
             status=201, roles={"trainee"}, tags=TAGS, extra_statuses=(403, 404, 409))
async def apply(req: ApiRequest[Apply, None]) -> ApplicationOut:
    """Apply for a place in a lottery class (idempotent: applying again returns the same one)."""
    return await handlers.apply(req.path_uuid("class_id"), deps=deps(req), actor=req.user)


@routes.post("/api/v1/applications/{application_id}/withdraw", response=ApplicationOut,
             roles={"trainee"}, tags=TAGS, extra_statuses=(404, 409))
async def withdraw_application(req: ApiRequest[None, None]) -> ApplicationOut:
    """Withdraw an application until the window closes."""
    return await handlers.withdraw(req.path_uuid("application_id"), deps=deps(req),
                                   actor=req.user)


@routes.get("/api/v1/me/applications", response=ApplicationList, roles={"trainee"}, tags=TAGS)
async def my_applications(req: ApiRequest[None, None]) -> ApplicationList:
    """List the caller's applications with their outcome after the draw."""
    return await handlers.my_applications(deps=deps(req), actor=req.user)
