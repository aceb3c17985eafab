"""create_app: routes, middlewares and resources of the certification service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.certification.api import routes
from services.certification.config import Settings
from services.certification.subscriptions import subscriptions
from shared.service import Overrides, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None, *, overrides: Overrides | None = None
) -> web.Application:
    """Build the certification service's aiohttp application."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin certification API",
        description="Certification: issue, sign, render, verify and revoke certificates",
        overrides=overrides,
    )
