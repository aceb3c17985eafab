"""Compose a service: app factory plumbing, database, broker, relay and consumer lifecycles."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from shared.access import AccessList, AccessLoader, AccessRefresher, read_user_access
from shared.auth import TokenVerifier
from shared.config import ServiceSettings
from shared.db import create_pool, ensure_database, ping
from shared.logging import get_logger
from shared.messaging import inbox
from shared.messaging.consumer import Consumer, ConsumerSettings
from shared.messaging.outbox import OutboxWriter
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.relay import Relay, RelaySettings
from shared.messaging.subscriptions import Subscriptions
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import Transport
from shared.messaging.uow import uow_factory
from shared.migrations import MESSAGING_MIGRATIONS, migrate
from shared.web.api import ACCESS, VERIFIER, ApiRoutes, openapi_document
from shared.web.health import OPENAPI, READINESS, ReadinessCheck, add_health_routes
from shared.web.keys import CONSUMER, OUTBOX, POOL, RELAY, SETTINGS, TOPOLOGY, TRANSPORT, UOW
from shared.web.middleware import SERVICE_NAME, request_middleware
from shared.web.ops import ops_routes

log = get_logger(__name__)



# A resource's lifecycle, as aiohttp's cleanup_ctx takes it.
CleanupContext = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True)
class Overrides:
    """Replacements a test may hand to an app factory."""

    transport: Transport | None = None
    verifier: TokenVerifier | None = None


def topology_for(settings: ServiceSettings, subscriptions: Subscriptions) -> QueueTopology:
    """Return the queue topology of a service from its settings and subscriptions."""
    return QueueTopology(
        queue=settings.queue_name,
        bindings=subscriptions.routing_keys,
        delay_tiers_ms=settings.delay_tiers_ms,
        delivery_limit=settings.delivery_limit,
    )


def migration_dirs(service_migrations: Path) -> list[Path]:
    """Return the migration directories of a service: messaging tables first."""
    return [MESSAGING_MIGRATIONS, service_migrations]


def new_transport(settings: ServiceSettings, *, role: str = "service") -> RabbitTransport:
    """Create (not connect) the RabbitMQ transport of a service."""
    return RabbitTransport(
        settings.amqp_url,
        exchange=settings.exchange_name,
        connection_name=f"{settings.service_name}-{role}",
    )


def create_service_app(
    settings: ServiceSettings,
    *,
    routes: ApiRoutes,
    subscriptions: Subscriptions,
    migrations: Path,
    title: str,
    description: str = "",
    overrides: Overrides | None = None,
    resources: Sequence[CleanupContext] = (),
    deps_of: Callable[[web.Application], object] | None = None,
    access_loader: AccessLoader = read_user_access,
) -> web.Application:
    """Build the aiohttp app every service shares.

    `resources`: the service's own cleanup contexts (its deps, keys, jobs), entered after the
    database and the broker and before the relay and the consumer, so nothing is consumed
    before they exist. `deps_of`: what every subscription handler gets as `ctx.deps`.
    `access_loader`: reads the service's revoked users and token versions (shared/access.py).
    """
    overrides = overrides or Overrides()
    app = web.Application(
        middlewares=[request_middleware],
        client_max_size=4 << 20,
    )
    app[SERVICE_NAME] = settings.service_name
    app[SETTINGS] = settings
    app[OUTBOX] = OutboxWriter(settings.service_name)
    app[VERIFIER] = overrides.verifier or TokenVerifier(
        settings.jwt_public_key_file.read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        max_lifetime_s=settings.max_token_lifetime_s,
    )
    ops = ops_routes(settings.service_name)
    routes.register(app)
    ops.register(app)
    add_health_routes(app)
    app[OPENAPI] = openapi_document(
        [*routes.specs, *ops.specs], title=title, version="1.0.0", description=description
    )
    app[READINESS] = {}
    app.cleanup_ctx.append(_database_ctx(migration_dirs(migrations)))
    app[ACCESS] = AccessList()
    app.cleanup_ctx.append(_access_ctx(access_loader))
    app.cleanup_ctx.append(_broker_ctx(overrides.transport))
    app.cleanup_ctx.extend(resources)
    if settings.run_relay:
        app.cleanup_ctx.append(_relay_ctx)
    if subscriptions.routing_keys:
        # Known to every instance, consuming or not: an HTTP-only one still reports the depths.
        app[TOPOLOGY] = topology_for(settings, subscriptions)
        if settings.run_consumers:
            app.cleanup_ctx.append(_consumer_ctx(subscriptions, deps_of))
    return app


def add_readiness_check(app: web.Application, name: str, check: ReadinessCheck) -> None:
    """Make `/readyz` depend on one more check."""
    app[READINESS][name] = check


def _database_ctx(dirs: Sequence[Path]) -> Any:
    async def database(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        if settings.migrate_on_start:
            await ensure_database(settings.database_url)
            await migrate(settings.database_url, dirs)
        pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        app[POOL] = pool
        app[UOW] = uow_factory(pool, app[OUTBOX])
        add_readiness_check(app, "database", lambda: ping(pool))
        yield
        try:
            # Background work still holding a connection must not keep the process alive.
            await asyncio.wait_for(pool.close(), settings.shutdown_grace_s)
        except TimeoutError:
            log.warning("db_pool_close_timed_out")
            pool.terminate()

    return database


def _access_ctx(load: AccessLoader) -> Any:
    async def access(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        refresher = AccessRefresher(dsn=settings.database_url, pool=app[POOL], load=load,
                                    access=app[ACCESS], interval_s=settings.access_refresh_s)
        await refresher.start()  # no revocation unread when the first request comes
        yield
        await refresher.stop()

    return access


def _broker_ctx(override: Transport | None) -> Any:
    async def broker(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        transport: Transport = override or new_transport(settings)
        app[TRANSPORT] = transport
        add_readiness_check(app, "broker", transport.is_connected)
        connecting = None
        if isinstance(transport, RabbitTransport):
            # The HTTP side never waits for the broker: connect in the background.
            connecting = asyncio.create_task(transport.connect(), name="broker-connect")
        yield
        if connecting is not None and not connecting.done():
            connecting.cancel()
        if override is None:
            await transport.close()

    return broker


async def _relay_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    relay = Relay(
        service=settings.service_name,
        dsn=settings.database_url,
        pool=app[POOL],
        transport=app[TRANSPORT],
        settings=RelaySettings.from_settings(settings),
    )
    app[RELAY] = relay
    task = asyncio.create_task(relay.run(), name="outbox-relay")
    yield
    await relay.stop()
    try:
        await asyncio.wait_for(task, settings.shutdown_grace_s)
    except TimeoutError:
        log.warning("relay_stop_timed_out")


def _consumer_ctx(
    subscriptions: Subscriptions, deps_of: Callable[[web.Application], object] | None
) -> Any:
    async def consumer_ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        consumer = Consumer(
            service=settings.service_name,
            transport=app[TRANSPORT],
            topology=app[TOPOLOGY],
            subscriptions=subscriptions,
            pool=app[POOL],
            outbox=app[OUTBOX],
            settings=ConsumerSettings.from_settings(settings),
            deps=deps_of(app) if deps_of is not None else None,
        )
        app[CONSUMER] = consumer
        add_readiness_check(app, "consumer", consumer.is_consuming)
        starting = asyncio.create_task(_start_consumer(consumer), name="consumer-start")
        cleaning = asyncio.create_task(_purge_inbox(app), name="inbox-purge")
        yield
        cleaning.cancel()
        if not starting.done():
            starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await consumer.stop(grace_s=settings.shutdown_grace_s)

    return consumer_ctx


async def _start_consumer(consumer: Consumer) -> None:
    backoff = 1.0
    while True:
        try:
            await consumer.start()
            return
        except Exception as exc:  # e.g. queue redeclared with other arguments: say so loudly
            log.error("consumer_start_failed", error=repr(exc), retry_in_s=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)


async def _purge_inbox(app: web.Application) -> None:
    while True:
        await asyncio.sleep(3600)
        try:
            removed = await inbox.purge(
                app[POOL], older_than_days=app[SETTINGS].inbox_retention_days
            )
            log.info("inbox_purged", removed=removed)
        except Exception as exc:
            log.warning("inbox_purge_failed", error=repr(exc))


async def _freeze_startup_objects(_app: web.Application) -> None:
    # Modules, settings, templates and pools live as long as the process: move them out of the
    # collector's sight so full collections under load only walk what requests and messages
    # allocate (the measure CPython documents for long-running servers).
    gc.collect()
    gc.freeze()


def run_service(app: web.Application, settings: ServiceSettings) -> None:
    """Serve the app until SIGINT/SIGTERM, then shut down gracefully."""
    log.info("service_starting", port=settings.http_port, host=settings.http_host)
    app.on_startup.append(_freeze_startup_objects)
    web.run_app(
        app,
        host=settings.http_host,
        port=settings.http_port,
        reuse_port=settings.http_reuse_port or None,
        print=None,
        access_log=None,
        shutdown_timeout=settings.shutdown_grace_s,
        handle_signals=True,
    )
