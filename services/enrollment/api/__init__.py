"""HTTP routes of the enrollment service: parse -> command -> handler -> response."""

from __future__ import annotations

from services.enrollment.api import (
    applications,
    auth,
    catalogue,
    categories,
    checkins,
    claim_pack,
    classroom,
    draws,
    eligibility,
    enrollments,
    hours,
    moving,
    readiness,
    sessions,
    surveys,
)
from services.enrollment.api.base import routes

__all__ = ["applications", "auth", "catalogue", "categories", "checkins", "claim_pack",
           "classroom", "draws", "eligibility", "enrollments", "hours", "moving", "readiness",
           "routes", "sessions", "surveys"]
