"""A relay, consumer or whole service in its own process, with optional crash points.

The tests start this module as a subprocess and kill it (or let it kill itself with SIGKILL at a
precise point) to prove that nothing is lost and nothing is applied twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import asyncpg

from shared.config import ServiceSettings
from shared.db import create_pool
from shared.logging import configure_logging
from shared.messaging.consumer import Consumer, ConsumerSettings
from shared.messaging.outbox import OutboxWriter
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.relay import Relay
from shared.messaging.settling import Outcome
from shared.messaging.transport import Delivery
from shared.service import create_service_app, run_service
from shared.web.api import ApiRoutes
from tests.messaging.harness import EFFECTS_DDL, Behaviour, build_subscriptions, no_revocations
from tests.support.infra import AMQP_URL


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingRelay(Relay):
    """Dies right after the broker confirmed a batch, before marking it sent."""

    async def _record(self, conn: Any, sent: Any, *args: Any) -> None:
        if sent:
            _die()
        await super()._record(conn, sent, *args)


class CrashBeforePublishRelay(Relay):
    """Dies with claimed rows in hand, before publishing any of them."""

    async def _publish(self, row: asyncpg.Record) -> None:
        _die()


class CrashAfterCommitConsumer(Consumer):
    """Dies after the handler's transaction committed, before the ack."""

    async def handle(self, delivery: Delivery) -> Outcome:
        outcome = await super().handle(delivery)
        if outcome is Outcome.HANDLED:
            _die()
        return outcome


class TestServiceSettings(ServiceSettings):
    """Settings of the throwaway service used by the SIGTERM test."""

    service_name = "test"


async def _run_relay(args: argparse.Namespace) -> None:
    pool = await create_pool(args.dsn)
    transport = RabbitTransport(AMQP_URL, exchange=f"{args.namespace}.events")
    await transport.connect()
    cls = {"after_confirm": CrashingRelay, "before_publish": CrashBeforePublishRelay}[args.crash]
    await cls(service="test", dsn=args.dsn, pool=pool, transport=transport).run()


async def _run_consumer(args: argparse.Namespace) -> None:
    from tests.messaging.harness import pipeline

    transport = RabbitTransport(AMQP_URL, exchange=f"{args.namespace}.events")
    await transport.connect()
    async with pipeline(args.dsn, transport, args.namespace) as p:
        if args.crash == "before_commit":
            original = p.subscriptions.lookup("test.thing_happened.v1")
            assert original is not None

            async def crash_in_handler(evt: Any, ctx: Any) -> None:
                await ctx.uow.conn.execute(
                    "INSERT INTO effects (message_id, thing_id, n) VALUES ($1, 'doomed', -1)",
                    ctx.envelope.message_id,
                )
                _die()

            p.subscriptions._entries["test.thing_happened.v1"] = (original[0], crash_in_handler)
            await p.start_consumer()
        else:
            consumer = CrashAfterCommitConsumer(
                service="test",
                transport=transport,
                topology=p.topology,
                subscriptions=p.subscriptions,
                pool=p.pool,
                outbox=OutboxWriter("test"),
                settings=ConsumerSettings(prefetch=1),
            )
            await consumer.start()
        await asyncio.Event().wait()


def _run_service(args: argparse.Namespace) -> None:
    settings = TestServiceSettings(
        database_url=args.dsn,
        namespace=args.namespace,
        http_port=args.port,
        amqp_url=args.amqp_url,
        jwt_public_key_file=Path(args.public_key),
        migrate_on_start=False,
        shutdown_grace_s=10,
        prefetch=16,
        delay_tiers_ms=(50, 100, 200),
        delivery_limit=20,
    )
    behaviour = Behaviour()
    app = create_service_app(
        settings,
        routes=ApiRoutes(),
        subscriptions=_slow(build_subscriptions(behaviour)),
        migrations=Path(__file__).parent / "no_migrations",
        title="test",
        access_loader=no_revocations,
    )
    run_service(app, settings)


def _slow(subs: Any) -> Any:
    entry = subs.lookup("test.thing_happened.v1")
    cls, handler = entry

    async def slow_handler(evt: Any, ctx: Any) -> None:
        await asyncio.sleep(0.02)  # keep work in flight when SIGTERM arrives
        await handler(evt, ctx)

    subs._entries["test.thing_happened.v1"] = (cls, slow_handler)
    return subs


def main() -> None:
    """Run one role until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["relay", "consumer", "service"], required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--crash", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--public-key", default="")
    parser.add_argument("--amqp-url", default=AMQP_URL, help="a URL or a comma-separated list")
    args = parser.parse_args()
    configure_logging(level="WARNING")
    if args.role == "service":
        _run_service(args)
    elif args.role == "relay":
        asyncio.run(_run_relay(args))
    else:
        asyncio.run(_run_consumer(args))


if __name__ == "__main__":
    main()

__all__ = ["EFFECTS_DDL"]
