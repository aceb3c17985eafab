"""A class's allocation mode, the draw, and the public draw document."""

from __future__ import annotations

from services.enrollment.api.base import ADMIN, deps, routes
from services.enrollment.commands_fair import DrawEarly, SetAllocation
from services.enrollment.handlers import draws as handlers
from services.enrollment.views.models.fair import AllocationOut, DrawDocument, DrawOut
from shared.web.api import ApiRequest

TAGS = ("lottery",)


@routes.put("/api/v1/classes/{class_id}/allocation", body=SetAllocation, response=AllocationOut,
            roles=ADMIN, tags=TAGS, extra_statuses=(404, 409))
async def set_allocation(req: ApiRequest[SetAllocation, None]) -> AllocationOut:
    """Allocate a class's seats by lottery (before anyone enrols); commits to a seed now."""
    return await handlers.set_allocation(req.path_uuid("class_id"), req.body, deps=deps(req),
                                         actor=req.user)


@routes.get("/api/v1/classes/{class_id}/allocation", response=AllocationOut, tags=TAGS,
            extra_statuses=(404,))
async def get_allocation(req: ApiRequest[None, None]) -> AllocationOut:
    """Return whether a class is first come or lottery (public)."""
    return await handlers.allocation(req.path_uuid("class_id"), deps=deps(req))


@routes.get("/api/v1/classes/{class_id}/draw", response=DrawDocument, tags=TAGS,
            extra_statuses=(404, 409))
async def get_draw(req: ApiRequest[None, None]) -> DrawDocument:
    """Return the public draw: commitment before, seed and every rank after (public)."""
    return await handlers.document(req.path_uuid("class_id"), deps=deps(req))


@routes.post("/api/v1/classes/{class_id}/draw", body=DrawEarly, response=DrawOut, roles=ADMIN,
             tags=TAGS, extra_statuses=(404, 409))
async def draw_now(req: ApiRequest[DrawEarly, None]) -> DrawOut:
    """Draw the lots now; before the window closes the reason is recorded and published."""
    return await handlers.early_draw(req.path_uuid("class_id"), reason=req.body.reason,
                                     deps=deps(req), actor=req.user)
