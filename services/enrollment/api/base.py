"""The route table every API module adds to, and small request helpers."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.enrollment.commands import FIRST_DAY, LAST_DAY
from services.enrollment.deps import Deps
from services.enrollment.keys import DEPS
from shared.errors import ValidationFailed
from shared.web.api import ApiRequest, ApiRoutes

routes = ApiRoutes()
STAFF = {"trainer", "admin"}
ADMIN = {"admin"}
ANYONE = {"trainee", "trainer", "examiner", "admin"}


def deps(req: ApiRequest[Any, Any]) -> Deps:
    """Return the service's dependencies."""
    return req.app[DEPS]


def path_date(req: ApiRequest[Any, Any], name: str) -> date:
    """Return a path parameter as an ISO date."""
    try:
        day = date.fromisoformat(req.path(name))
    except ValueError:
        raise ValidationFailed("Use a date like 2025-06-01.", code="invalid_date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed("Use a date within the years 2000-2100.", code="invalid_date")
    return day
