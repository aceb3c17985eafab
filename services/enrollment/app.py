"""create_app: routes, middlewares and resources of the enrollment service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.enrollment.api import routes
from services.enrollment.config import Settings
from services.enrollment.subscriptions import subscriptions
from shared.service import Overrides, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None, *, overrides: Overrides | None = None
) -> web.Application:
    """Build the enrollment service's aiohttp application."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin enrollment API",
        description="Enrollment: identity, catalogue, classes, enrolment, attendance and results",
        overrides=overrides,
    )
