"""create_app: routes, middlewares and resources of the notification service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.notification.api import routes
from services.notification.config import Settings
from services.notification.subscriptions import subscriptions
from shared.service import Overrides, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None, *, overrides: Overrides | None = None
) -> web.Application:
    """Build the notification service's aiohttp application."""
    settings = settings or Settings()
    return create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin notification API",
        description="Notification: SMS and email for every trainee-facing event",
        overrides=overrides,
    )
