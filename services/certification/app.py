"""create_app: routes, middlewares and resources of the certification service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.certification import pdf
from services.certification.api import routes
from services.certification.config import Settings
from services.certification.keys import (
    DEPS,
    LIMITER,
    PDF_FONT,
    PROXIES,
    SETTINGS,
    SIGNING_SECRET,
    TEMPLATES,
)
from services.certification.pages import add_pages
from services.certification.ratelimit import TokenBuckets
from services.certification.runtime import (
    build_issuing,
    read_fernet,
    read_pool_ctx,
    signing_keys_ctx,
    templates,
)
from services.certification.subscriptions import subscriptions
from shared.clock import Clock
from shared.service import Overrides, create_service_app
from shared.web.client_ip import TrustedProxies

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None, *, overrides: Overrides | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the certification service's aiohttp application."""
    settings = settings or Settings()
    app = create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin certification API",
        description="Certification: issue, sign, render, verify and revoke certificates",
        overrides=overrides,
        deps_of=lambda app: app[DEPS],
    )
    app[SETTINGS] = settings
    app[DEPS] = build_issuing(settings, clock=clock)
    secret = read_fernet(settings.signing_key_secret_file, create=True)
    assert secret is not None
    app[SIGNING_SECRET] = secret
    app[LIMITER] = TokenBuckets(rate=settings.verify_rate_per_s, burst=settings.verify_burst)
    app[PROXIES] = TrustedProxies(settings.trusted_proxies)
    app[TEMPLATES] = templates()
    app[PDF_FONT] = pdf.font_name(str(settings.pdf_font_file), settings.pdf_font_subfont_index)
    add_pages(app)
    # Keys must be loaded before the consumer (started by a later context) handles anything.
    app.cleanup_ctx.insert(1, signing_keys_ctx)
    app.cleanup_ctx.insert(2, read_pool_ctx)
    return app
