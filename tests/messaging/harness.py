"""A producer and a consumer around test-only events, counting effects in the database."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

import asyncpg

from shared.db import create_pool
from shared.errors import PermanentFailure
from shared.events.envelope import Envelope, Event, event
from shared.messaging.consumer import Consumer, ConsumerSettings
from shared.messaging.outbox import OutboxWriter
from shared.messaging.relay import Relay, RelaySettings
from shared.messaging.subscriptions import HandlerContext, Subscriptions
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import Transport

Mode = Literal[
    "ok", "fail_always", "fail_times", "permanent", "deadlock_once", "lock_lost_times", "emit"
]


@event("test.thing_happened", 1, aggregate="thing_id")
class ThingHappened(Event):
    """A test event; `mode` tells the handler how to behave."""

    thing_id: str
    n: int = 0
    mode: Mode = "ok"
    times: int = 0


@event("test.thing_echoed", 1, aggregate="thing_id")
class ThingEchoed(Event):
    """Emitted by the consumer through its own outbox."""

    thing_id: str
    n: int = 0


@event("test.nobody_listens", 1, aggregate="thing_id")
class NobodyListens(Event):
    """No queue is bound for this one."""

    thing_id: str


EFFECTS_DDL = """
CREATE TABLE IF NOT EXISTS effects (
    id serial PRIMARY KEY,
    message_id uuid NOT NULL,
    thing_id text NOT NULL,
    n integer NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


@dataclass
class Behaviour:
    """Per-message attempt counts kept outside the database (they survive rollbacks)."""

    attempts: Counter[str] = field(default_factory=Counter)
    # The delivery attempt (delay tiers taken) each handler call saw, per message.
    tiers: dict[str, list[int]] = field(default_factory=dict)
    hold: asyncio.Event | None = None


async def no_revocations(pool: asyncpg.Pool) -> list[tuple[UUID, int, bool]]:
    """Read the revocations of a test service that keeps none (it has no user_access table)."""
    del pool
    return []


def build_subscriptions(behaviour: Behaviour) -> Subscriptions:
    """Subscriptions whose handler records one effect row per message."""
    subs = Subscriptions()

    @subs.on(ThingHappened)
    async def record(evt: ThingHappened, ctx: HandlerContext[None]) -> None:
        key = str(ctx.envelope.message_id)
        behaviour.attempts[key] += 1
        behaviour.tiers.setdefault(key, []).append(ctx.attempt)
        if behaviour.hold is not None:
            await behaviour.hold.wait()
        await ctx.uow.conn.execute(
            "INSERT INTO effects (message_id, thing_id, n) VALUES ($1, $2, $3)",
            ctx.envelope.message_id,
            evt.thing_id,
            evt.n,
        )
        if evt.mode == "fail_always":
            raise RuntimeError(f"poison {evt.thing_id}")
        if evt.mode == "fail_times" and behaviour.attempts[key] <= evt.times:
            raise RuntimeError(f"flaky {evt.thing_id}")
        if evt.mode == "permanent":
            raise PermanentFailure("cannot ever work")
        if evt.mode == "deadlock_once" and behaviour.attempts[key] == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected (injected)")
        if evt.mode == "lock_lost_times" and behaviour.attempts[key] <= evt.times:
            raise asyncpg.exceptions.LockNotAvailableError("lock timeout (injected)")
        if evt.mode == "emit":
            await ctx.uow.publish(ThingEchoed(thing_id=evt.thing_id, n=evt.n))

    @subs.on(ThingEchoed)
    async def echo(evt: ThingEchoed, ctx: HandlerContext[None]) -> None:
        await ctx.uow.conn.execute(
            "INSERT INTO effects (message_id, thing_id, n) VALUES ($1, $2, $3)",
            ctx.envelope.message_id,
            "echo:" + evt.thing_id,
            evt.n,
        )

    return subs


@dataclass
class Pipeline:
    """Producer database + relay + consumer on one transport."""

    pool: asyncpg.Pool
    dsn: str
    transport: Transport
    topology: QueueTopology
    writer: OutboxWriter
    behaviour: Behaviour
    subscriptions: Subscriptions
    relays: list[Relay] = field(default_factory=list)
    consumers: list[Consumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def emit(self, *events: Event) -> list[Envelope]:
        """Write events to the outbox in one committed transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            return await self.writer.add(conn, *events)

    async def effects(self) -> int:
        """Count effect rows."""
        return int(await self.pool.fetchval("SELECT count(*) FROM effects"))

    async def effects_per_message(self) -> dict[str, int]:
        """Count effect rows per message id."""
        rows = await self.pool.fetch(
            "SELECT message_id::text AS m, count(*) AS c FROM effects GROUP BY 1"
        )
        return {r["m"]: r["c"] for r in rows}

    async def pending(self) -> int:
        """Count unpublished outbox rows."""
        return int(await self.pool.fetchval("SELECT count(*) FROM outbox WHERE status='pending'"))

    def start_relay(self, **options: float | int) -> Relay:
        """Start one more relay on the producer's outbox."""
        relay = Relay(
            service="test",
            dsn=self.dsn,
            pool=self.pool,
            transport=self.transport,
            settings=RelaySettings(**options),  # type: ignore[arg-type]
        )
        self.relays.append(relay)
        self.tasks.append(asyncio.create_task(relay.run()))
        return relay

    async def start_consumer(self, transport: Transport | None = None, **options: int) -> Consumer:
        """Start one more consumer on the work queue."""
        consumer = Consumer(
            service="test",
            transport=transport or self.transport,
            topology=self.topology,
            subscriptions=self.subscriptions,
            pool=self.pool,
            outbox=self.writer,
            settings=ConsumerSettings(**options),
        )
        await consumer.start()
        self.consumers.append(consumer)
        return consumer

    async def stop(self) -> None:
        """Stop consumers and relays."""
        for consumer in self.consumers:
            await consumer.stop(grace_s=5)
        for relay in self.relays:
            await relay.stop()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


@asynccontextmanager
async def pipeline(
    dsn: str, transport: Transport, namespace: str, *, tiers: tuple[int, ...] = (50, 100, 200)
) -> AsyncIterator[Pipeline]:
    """Build a pipeline on an existing database and transport; stop it afterwards."""
    pool = await create_pool(dsn, min_size=2, max_size=10)
    await pool.execute(EFFECTS_DDL)
    behaviour = Behaviour()
    subs = build_subscriptions(behaviour)
    topology = QueueTopology(
        queue=f"{namespace}.test",
        bindings=subs.routing_keys,
        delay_tiers_ms=tiers,
        delivery_limit=20,
    )
    await transport.declare(topology)
    p = Pipeline(pool, dsn, transport, topology, OutboxWriter("test"), behaviour, subs)
    try:
        yield p
    finally:
        await p.stop()
        await pool.close()
