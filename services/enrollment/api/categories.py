"""The catalogue's categories."""

from __future__ import annotations

from services.enrollment.api.base import deps, routes
from services.enrollment.views import categories as views
from services.enrollment.views.models.categories import CategoryList
from shared.web.api import ApiRequest

TAGS = ("catalogue",)


@routes.get("/api/v1/categories", response=CategoryList, tags=TAGS)
async def list_categories(req: ApiRequest[None, None]) -> CategoryList:
    """List every category with a course: zh/en names and classes open now, most open first."""
    d = deps(req)
    return await views.list_categories(d.pool, d.clock.now())
