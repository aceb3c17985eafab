"""create_app: routes, middlewares and resources of the notification service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from services.notification.api import DEPS, DEV_INBOX, RECEIPT_TOKEN, routes
from services.notification.config import Settings
from services.notification.runtime import (
    build_deps,
    check_dev_inbox,
    check_provider_templates,
    check_receipt_token,
    check_sms_providers,
    dispatcher_ctx,
    providers_ctx,
    warn_if_sink_is_public,
)
from services.notification.subscriptions import subscriptions
from shared.clock import Clock, SystemClock
from shared.service import Overrides, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class NotificationOverrides(Overrides):
    """Test replacements: a settable clock."""

    clock: Clock | None = None


def create_app(
    settings: Settings | None = None, *, overrides: Overrides | None = None
) -> web.Application:
    """Build the notification service's aiohttp application."""
    settings = settings or Settings()
    clock = getattr(overrides, "clock", None) or SystemClock()
    deps = build_deps(settings, clock)
    check_dev_inbox(settings)
    check_receipt_token(settings)
    check_sms_providers(settings)
    check_provider_templates(settings)
    warn_if_sink_is_public(settings)
    app = create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin notification API",
        description="Notification: SMS and email for every trainee-facing event",
        overrides=overrides,
        deps_of=lambda app: app[DEPS],
    )
    app[DEPS] = deps
    app[DEV_INBOX] = settings.dev_inbox  # only ever on with the sink alone (check_dev_inbox)
    app[RECEIPT_TOKEN] = settings.receipt_token.get_secret_value()
    app.cleanup_ctx.append(providers_ctx)
    if settings.run_dispatcher:
        app.cleanup_ctx.append(dispatcher_ctx)
    return app
