"""HTTP routes of the enrollment service: parse -> command -> handler -> response."""

from __future__ import annotations

from services.enrollment.api import (
    auth,
    catalogue,
    checkins,
    claim_pack,
    classroom,
    enrollments,
    hours,
    sessions,
)
from services.enrollment.api.base import routes

__all__ = ["auth", "catalogue", "checkins", "claim_pack", "classroom", "enrollments", "hours",
           "routes", "sessions"]
