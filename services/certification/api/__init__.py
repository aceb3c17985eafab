"""HTTP routes of the certification service: parse -> command -> handler -> response."""

from __future__ import annotations

from services.certification.api import (
    certificates,
    credentials,
    issuing,
    lifecycle,
    verification,
)
from services.certification.api.base import routes

__all__ = ["certificates", "credentials", "issuing", "lifecycle", "routes", "verification"]
