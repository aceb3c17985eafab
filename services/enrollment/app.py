"""create_app: routes, middlewares and resources of the enrollment service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

from aiohttp import web

from services.enrollment.api import routes
from services.enrollment.config import Settings
from services.enrollment.deps import Deps
from services.enrollment.jobs import jobs_ctx
from services.enrollment.keys import DEPS, SETTINGS
from services.enrollment.security import PiiCiphers
from services.enrollment.subscriptions import subscriptions
from shared.auth import TokenIssuer
from shared.clock import Clock, SystemClock
from shared.service import Overrides, create_service_app
from shared.web.client_ip import TrustedProxies
from shared.web.keys import POOL, UOW

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    overrides: Overrides | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the enrollment service's aiohttp application."""
    settings = settings or Settings()
    # Keys are read now so a missing file stops the start-up with a clear message.
    issuer = TokenIssuer(settings.jwt_private_key_file.read_bytes(), issuer=settings.jwt_issuer,
                         audience=settings.jwt_audience, ttl_s=settings.staff_token_ttl_s)
    ciphers = PiiCiphers.from_files(at_rest=settings.pii_at_rest_key_file,
                                    transport=settings.pii_transport_key_file)
    proxies = TrustedProxies(settings.trusted_proxies)
    resources = [_deps_ctx(settings, clock or SystemClock(), issuer, ciphers, proxies)]
    if settings.run_jobs:
        resources.append(jobs_ctx)
    app = create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin enrollment API",
        description="Enrollment: identity, catalogue, classes, enrolment, attendance and results",
        overrides=overrides,
        resources=resources,
        deps_of=lambda app: app[DEPS],
    )
    app[SETTINGS] = settings
    return app


def _deps_ctx(
    settings: Settings, clock: Clock, issuer: TokenIssuer, ciphers: PiiCiphers,
    proxies: TrustedProxies,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def deps_ctx(app: web.Application) -> AsyncIterator[None]:
        app[DEPS] = Deps(uows=app[UOW], pool=app[POOL], clock=clock, ciphers=ciphers,
                         issuer=issuer, settings=settings, proxies=proxies)
        yield

    return deps_ctx
