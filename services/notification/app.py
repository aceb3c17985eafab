"""create_app: routes, middlewares and resources of the notification service.

The composition root: the only place that builds the service's dependencies (Deps) and its
background jobs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from services.notification.api import routes
from services.notification.config import Settings
from services.notification.deps import Deps
from services.notification.domain.rules import Limits, Policy, QuietHours
from services.notification.jobs import Dispatcher, DispatcherSettings, running
from services.notification.keys import DEPS, DEV_INBOX, DISPATCHER, RECEIPT_TOKEN, SETTINGS
from services.notification.providers.configured import (
    check_dev_inbox,
    check_provider_templates,
    check_receipt_token,
    check_sms_providers,
    open_providers,
    warn_if_sink_is_public,
)
from services.notification.subscriptions import subscriptions
from services.notification.templates.registry import TemplateRegistry
from shared.clock import Clock, SystemClock
from shared.service import CleanupContext, Overrides, create_service_app
from shared.web.keys import OUTBOX, POOL, UOW

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    overrides: Overrides | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the notification service's aiohttp application."""
    settings = settings or Settings()
    resources = [_deps_ctx(settings, clock or SystemClock())]
    check_dev_inbox(settings)
    check_receipt_token(settings)
    check_sms_providers(settings)
    check_provider_templates(settings)
    warn_if_sink_is_public(settings)
    if settings.run_dispatcher:
        resources.append(_dispatcher_ctx)
    app = create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin notification API",
        description="Notification: SMS and email for every trainee-facing event",
        overrides=overrides,
        resources=resources,
        deps_of=lambda app: app[DEPS],
    )
    app[SETTINGS] = settings
    app[DEV_INBOX] = settings.dev_inbox  # only ever on with the sink alone (check_dev_inbox)
    app[RECEIPT_TOKEN] = settings.receipt_token.get_secret_value()
    return app


def policy_of(settings: Settings) -> Policy:
    """Return the rules of quiet hours, limits and retries as configured."""
    return Policy(
        quiet=QuietHours(settings.quiet_start, settings.quiet_end),
        limits=Limits(
            otp_per_minute=settings.otp_per_minute,
            otp_per_hour=settings.otp_per_hour,
            otp_per_day=settings.otp_per_day,
            same_template_per_day=settings.same_template_per_day,
            same_content_window_s=settings.same_content_window_s,
        ),
        default_timezone=settings.default_timezone,
        retry_backoff_s=settings.retry_backoff_s,
        max_send_attempts=settings.max_send_attempts,
    )


def _deps_ctx(settings: Settings, clock: Clock) -> CleanupContext:
    # Loaded and checked now, so a broken template stops the start-up with a clear message.
    registry = TemplateRegistry.load(settings.sms_signature)
    policy = policy_of(settings)

    async def deps_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_providers(settings, pool=app[POOL], clock=clock) as providers:
            app[DEPS] = Deps(
                uows=app[UOW], pool=app[POOL], outbox=app[OUTBOX], clock=clock,
                registry=registry, policy=policy, public_base_url=settings.public_base_url,
                mail_domain=settings.mail_domain, sms=providers.sms, email=providers.email,
            )
            yield

    return deps_ctx


async def _dispatcher_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    dispatcher = Dispatcher(
        dsn=settings.database_url, deps=app[DEPS],
        settings=DispatcherSettings.from_settings(settings),
    )
    app[DISPATCHER] = dispatcher
    async with running(dispatcher, grace_s=settings.shutdown_grace_s):
        yield
