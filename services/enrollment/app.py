"""create_app: routes, middlewares and resources of the enrollment service.

The composition root: the only place that builds the service's dependencies (Deps), for the
web application and for the one-off commands of cli.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from aiohttp import web

from services.enrollment.api import routes
from services.enrollment.config import Settings
from services.enrollment.crypto.checkin import checkin_key
from services.enrollment.crypto.passwords import HashLimits, PasswordHashing
from services.enrollment.crypto.pii import PiiCiphers
from services.enrollment.deps import Deps
from services.enrollment.jobs import jobs_ctx
from services.enrollment.keys import DEPS, SETTINGS
from services.enrollment.subscriptions import subscriptions
from services.enrollment.views import users
from shared.auth import TokenIssuer
from shared.clock import Clock, SystemClock
from shared.db import create_pool, ensure_database
from shared.messaging.outbox import OutboxWriter
from shared.messaging.uow import UowFactory, uow_factory
from shared.migrations import migrate
from shared.service import Overrides, create_service_app, migration_dirs
from shared.web.client_ip import TrustedProxies
from shared.web.keys import POOL, UOW

MIGRATIONS = Path(__file__).parent / "migrations"
BuildDeps = Callable[[UowFactory, asyncpg.Pool], Deps]


def create_app(
    settings: Settings | None = None,
    *,
    overrides: Overrides | None = None,
    clock: Clock | None = None,
) -> web.Application:
    """Build the enrollment service's aiohttp application."""
    settings = settings or Settings()
    build = _deps_builder(settings, clock or SystemClock())
    resources = [_deps_ctx(build)]
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
        access_loader=users.revoked_users,  # its own users table, no event needed
    )
    app[SETTINGS] = settings
    return app


def _deps_builder(settings: Settings, clock: Clock) -> BuildDeps:
    """Read the keys now and return what builds Deps once the database pool exists."""
    # Read before anything starts, so a missing file stops the start-up with a clear message.
    issuer = TokenIssuer(settings.jwt_private_key_file.read_bytes(), issuer=settings.jwt_issuer,
                         audience=settings.jwt_audience, ttl_s=settings.staff_token_ttl_s)
    ciphers = PiiCiphers.from_files(at_rest=settings.pii_at_rest_key_file,
                                    transport=settings.pii_transport_key_file)
    proxies = TrustedProxies(settings.trusted_proxies)
    passwords = PasswordHashing(hash_limits(settings))
    signing_key = checkin_key(settings.pii_at_rest_key_file)

    def build(uows: UowFactory, pool: asyncpg.Pool) -> Deps:
        return Deps(uows=uows, pool=pool, clock=clock, ciphers=ciphers, passwords=passwords,
                    issuer=issuer, settings=settings, proxies=proxies, checkin_key=signing_key)

    return build


def hash_limits(settings: Settings) -> HashLimits:
    """Return the password hashing cost and concurrency from configuration."""
    return HashLimits(memory_kib=settings.password_hash_memory_kib,
                      time_cost=settings.password_hash_time_cost,
                      in_flight=settings.password_hashes_in_flight,
                      wait_s=settings.password_hash_wait_s)


def _deps_ctx(build: BuildDeps) -> Callable[[web.Application], AsyncIterator[None]]:
    async def deps_ctx(app: web.Application) -> AsyncIterator[None]:
        app[DEPS] = deps = build(app[UOW], app[POOL])
        yield
        deps.passwords.close()

    return deps_ctx


@asynccontextmanager
async def command_deps(settings: Settings) -> AsyncIterator[Deps]:
    """Yield the dependencies of a one-off command: migrated database, a small pool."""
    build = _deps_builder(settings, SystemClock())
    await ensure_database(settings.database_url)
    await migrate(settings.database_url, migration_dirs(MIGRATIONS))
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        deps = build(uow_factory(pool, OutboxWriter(settings.service_name)), pool)
        yield deps
        deps.passwords.close()
    finally:
        await pool.close()
