"""HTTP routes of the enrollment service: parse -> command -> handler -> response."""

from __future__ import annotations

from shared.web.api import ApiRoutes

routes = ApiRoutes()
