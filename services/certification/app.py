"""create_app: the certification service's composition root (routes, pages, resources, Deps)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg
import jinja2
from aiohttp import web

from services.certification.api import routes
from services.certification.config import Settings
from services.certification.deps import Secrets, build_deps
from services.certification.domain.ratelimit import TokenBuckets
from services.certification.jobs import signing_keys_ctx
from services.certification.keys import (
    DEPS,
    LIMITER,
    NUMBER_LIMITER,
    PROXIES,
    READ_POOL,
    SETTINGS,
    TEMPLATES,
)
from services.certification.pages import add_pages
from services.certification.subscriptions import subscriptions
from shared.clock import Clock, SystemClock
from shared.db import keep_session
from shared.fonts import font_name
from shared.service import Overrides, create_service_app
from shared.web.client_ip import TrustedProxies
from shared.web.keys import POOL, UOW

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None, *, overrides: Overrides | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the certification service's aiohttp application."""
    settings = settings or Settings()
    # Key files and the font are read now: a bad one stops the start with a clear message.
    deps_ctx = _deps_ctx(settings, clock or SystemClock(), Secrets.read(settings),
                         font_name(str(settings.pdf_font_file), settings.pdf_font_subfont_index))
    app = create_service_app(
        settings,
        routes=routes,
        subscriptions=subscriptions,
        migrations=MIGRATIONS,
        title="Jiangxin certification API",
        description="Certification: issue, sign, render, verify and revoke certificates",
        overrides=overrides,
        # The key ring is loaded before the consumer (started after these) handles anything.
        resources=[read_pool_ctx, deps_ctx, signing_keys_ctx],
        deps_of=lambda app: app[DEPS],
    )
    app[SETTINGS] = settings
    app[LIMITER] = TokenBuckets(rate=settings.verify_rate_per_s, burst=settings.verify_burst)
    app[NUMBER_LIMITER] = TokenBuckets(rate=settings.verify_number_rate_per_s,
                                       burst=settings.verify_number_burst)
    app[PROXIES] = TrustedProxies(settings.trusted_proxies)
    app[TEMPLATES] = templates()
    add_pages(app)
    return app


def _deps_ctx(
    settings: Settings, clock: Clock, secrets: Secrets, pdf_font: str
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def deps_ctx(app: web.Application) -> AsyncIterator[None]:
        app[DEPS] = build_deps(settings, uows=app[UOW], pool=app[POOL], read_pool=app[READ_POOL],
                               clock=clock, secrets=secrets, pdf_font=pdf_font)
        yield

    return deps_ctx


def templates() -> jinja2.Environment:
    """Return the page templates (autoescaped)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, enable_async=False,
    )


async def _decode_json(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def read_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the pool of the public, read-only endpoints (verification, DID, status lists).

    It reads the replica when one is configured. No connection is opened before the first
    request: a replica still replaying the database the primary just created, or down for a
    while, never stops the service from starting.
    """
    settings = app[SETTINGS]
    pool = await asyncpg.create_pool(
        settings.read_database_url or settings.database_url, min_size=0,
        max_size=settings.db_pool_max, init=_decode_json, reset=keep_session,
        command_timeout=10, max_inactive_connection_lifetime=60,
    )
    app[READ_POOL] = pool
    yield
    await pool.close()
