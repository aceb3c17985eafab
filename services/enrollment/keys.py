"""The enrollment service's app keys (the shared ones are in shared/web/keys.py)."""

from __future__ import annotations

from aiohttp import web

from services.enrollment.config import Settings
from services.enrollment.deps import Deps

DEPS = web.AppKey("enrollment_deps", Deps)
# The service's own settings, typed as its Settings: shared.web.keys.SETTINGS holds the same
# object typed as the base class, for the code every service shares.
SETTINGS = web.AppKey("enrollment_settings", Settings)
