"""HTTP routes of the enrollment service: parse -> command -> handler -> response."""

from __future__ import annotations

from services.enrollment.api import (
    auth,
    catalogue,
    categories,
    classroom,
    enrollments,
    moving,
    readiness,
)
from services.enrollment.api.base import routes

__all__ = [
    "auth", "catalogue", "categories", "classroom", "enrollments", "moving", "readiness",
    "routes",
]
