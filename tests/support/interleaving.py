"""Deliver aggregates' event histories through competing consumer instances in random orders.

A seeded `Plan` fixes what is published and in which order: every event once, some two or
three times with the same message id (a relay that republished), the whole shuffled; and which
messages lose their first ack after the commit (the consumer crashed between commit and ack, so
the broker hands the message out again, redelivered). Which instance takes which message, how
their batches form and how their transactions race is left to the real consumers, the broker
and PostgreSQL. Every failure names the seed to run again with `JIANGXIN_SEED=<seed>`.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
import pytest
from aiohttp import web

from shared.events.envelope import Envelope, Event
from shared.messaging.memory import InMemoryTransport
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import (
    ConsumerHandle,
    Delivery,
    DeliveryCallback,
    OutgoingMessage,
    Transport,
)
from shared.web.keys import CONSUMER, POOL
from tests.support.infra import eventually

DUPLICATE_RATE = 0.3  # published again with the same message id
LOST_ACK_RATE = 0.2  # handled and committed, then the ack never reaches the broker


def master_seed() -> int:
    """Return the run's seed: JIANGXIN_SEED when set (to replay a failure), else a new one."""
    return int(os.environ.get("JIANGXIN_SEED") or random.SystemRandom().randrange(2**32))


@dataclass(frozen=True)
class Plan:
    """One interleaving: what is published, in which order, and whose first ack is lost."""

    seed: int
    envelopes: tuple[Envelope, ...]  # each distinct message once, in history order
    copies: tuple[Envelope, ...]  # what is published, in publish order
    lost_acks: frozenset[str]


def wrap_all(events: Sequence[Event], *, producer: str, seed: int) -> list[Envelope]:
    """Wrap events as their producer's outbox would, in one journey per plan."""
    return [Envelope.wrap(e, producer=producer, correlation_id=f"interleaving-{seed}")
            for e in events]


def plan_of(seed: int, envelopes: Sequence[Envelope]) -> Plan:
    """Shuffle the envelopes with duplicates and choose the lost acks, from the seed alone."""
    rng = random.Random(seed)
    copies = [e for e in envelopes for _ in range(1 + _extra(rng))]
    rng.shuffle(copies)
    lost = frozenset(str(e.message_id) for e in envelopes if rng.random() < LOST_ACK_RATE)
    return Plan(seed, tuple(envelopes), tuple(copies), lost)


def _extra(rng: random.Random) -> int:
    return int(rng.random() < DUPLICATE_RATE) + int(rng.random() < DUPLICATE_RATE / 3)


@dataclass
class Chaos:
    """What every instance's transport shares: acks to lose, and what is still in flight."""

    lost_acks: set[str] = field(default_factory=set)
    in_flight: int = 0
    acked: int = 0


class _LosingDelivery:
    """A delivery whose ack, if its message is due to lose one, returns it instead."""

    def __init__(self, inner: Delivery, chaos: Chaos) -> None:
        self._inner, self._chaos = inner, chaos

    @property
    def body(self) -> bytes:
        return self._inner.body

    @property
    def headers(self) -> dict[str, Any]:
        return self._inner.headers

    @property
    def message_id(self) -> str | None:
        return self._inner.message_id

    @property
    def type(self) -> str | None:
        return self._inner.type

    @property
    def routing_key(self) -> str:
        return self._inner.routing_key

    @property
    def redelivered(self) -> bool:
        return self._inner.redelivered

    async def ack(self) -> None:
        message_id = self._inner.message_id or ""
        if message_id in self._chaos.lost_acks:
            self._chaos.lost_acks.discard(message_id)
            await self._inner.nack(requeue=True)  # the process died before its ack went out
            return
        await self._inner.ack()
        self._chaos.acked += 1

    async def nack(self, *, requeue: bool) -> None:
        await self._inner.nack(requeue=requeue)


class ChaosTransport:
    """One instance's transport: the real one, with lost acks and a count of what is in flight."""

    def __init__(self, inner: Transport, chaos: Chaos) -> None:
        self.inner, self.chaos = inner, chaos
        self.taken = 0  # deliveries this instance received

    async def publish(
        self, message: OutgoingMessage, *, routing_key: str, to_queue: bool = False,
        mandatory: bool = True,
    ) -> None:
        await self.inner.publish(message, routing_key=routing_key, to_queue=to_queue,
                                 mandatory=mandatory)

    async def declare(self, topology: QueueTopology) -> None:
        await self.inner.declare(topology)

    async def consume(
        self, queue: str, callback: DeliveryCallback, *, prefetch: int
    ) -> ConsumerHandle:
        async def counted(delivery: Delivery) -> None:
            self.taken += 1
            self.chaos.in_flight += 1
            try:
                await callback(_LosingDelivery(delivery, self.chaos))
            finally:
                self.chaos.in_flight -= 1

        return await self.inner.consume(queue, counted, prefetch=prefetch)

    async def get(self, queue: str) -> Delivery | None:
        return await self.inner.get(queue)

    async def message_count(self, queue: str) -> int:
        return await self.inner.message_count(queue)

    async def is_connected(self) -> bool:
        return await self.inner.is_connected()

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class Deliverer:
    """Publishes plans to the instances' queue and waits until every message is settled."""

    publisher: Transport
    topology: QueueTopology
    chaos: Chaos
    pool: asyncpg.Pool  # the consuming service's database (its inbox)
    instances: Sequence[ChaosTransport]
    clients: Sequence[Any] = ()  # the instances' test clients, when they are apps

    async def stop_instances(self) -> None:
        """Stop the apps (consumers first) while their broker connections are still open."""
        for client in self.clients:
            await client.close()

    async def deliver(self, plans: Sequence[Plan], *, timeout: float = 120) -> None:
        """Publish the plans one after another and wait until all is handled and acked."""
        copies = [c for plan in plans for c in plan.copies]
        ids = list({e.message_id for plan in plans for e in plan.envelopes})
        for plan in plans:
            self.chaos.lost_acks.update(plan.lost_acks)
        acked_before = self.chaos.acked
        for envelope in copies:
            await self.publisher.publish(_outgoing(envelope), routing_key=envelope.routing_key)

        async def settled() -> bool:
            handled = await self.pool.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
                self.topology.queue, ids)
            return (handled == len(ids) and self.chaos.in_flight == 0
                    and self.chaos.acked - acked_before >= len(copies)
                    and not self.chaos.lost_acks and await self._queues_empty())

        try:
            await eventually(settled, timeout=timeout, interval=0.02)
        except AssertionError:
            parked = await self.publisher.message_count(self.topology.error_queue)
            seeds = [p.seed for p in plans]
            raise AssertionError(f"plans {seeds} not settled: {parked} in .error") from None

    async def _queues_empty(self) -> bool:
        for queue in (self.topology.queue, *self.topology.retry_queues):
            if await self.publisher.message_count(queue):
                return False
        return True

    async def check_raced(self) -> None:
        """Fail unless every instance took messages and nothing was parked in `.error`."""
        taken = [t.taken for t in self.instances]
        assert all(taken), f"an instance took no message: {taken}"
        parked = await self.publisher.message_count(self.topology.error_queue)
        assert parked == 0, f"{parked} message(s) in .error"


def _outgoing(envelope: Envelope) -> OutgoingMessage:
    return OutgoingMessage(body=envelope.model_dump_json().encode(),
                           message_id=str(envelope.message_id), type=envelope.routing_key,
                           headers=envelope.headers())


T = TypeVar("T")


def rounds(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """Split plans into rounds delivered together (aggregates of different plans never meet)."""
    return [items[i:i + size] for i in range(0, len(items), size)]


async def run_plans(
    deliverer: Deliverer, make: Callable[[int], tuple[Plan, T]], count: int, *,
    check: Callable[[Plan, T], Awaitable[list[str]]], per_round: int,
    after_round: Callable[[Sequence[T]], Awaitable[list[str]]] | None = None,
) -> None:
    """Deliver `count` plans made from seeds, round by round, and check each plan's end state
    (and, optionally, each round's); every failure names the seed that replays it."""
    seed = master_seed()
    made = [make(seed * 10_000 + i) for i in range(count)]
    for chunk in rounds(made, per_round):
        await deliverer.deliver([plan for plan, _ in chunk])
        for plan, what in chunk:
            found = await check(plan, what)
            assert not found, f"JIANGXIN_SEED={seed} (plan {plan.seed}): {found}"
        if after_round is not None:
            found = await after_round([what for _, what in chunk])
            assert not found, f"JIANGXIN_SEED={seed} (round from plan {chunk[0][0].seed}): {found}"
    await deliverer.check_raced()


Brokers = Sequence[Transport]
AiohttpClient = Callable[[web.Application], Awaitable[Any]]


async def start_apps(
    count: int, brokers: Brokers, *, make_app: Callable[[Transport], web.Application],
    topology: QueueTopology, aiohttp_client: AiohttpClient,
) -> Deliverer:
    """Start `count` instances of a service app, the i-th on brokers[i] (or the only one),
    and return what delivers plans to them once every one is consuming."""
    chaos, instances, clients, pool = Chaos(), [], [], None
    for i in range(count):
        instances.append(ChaosTransport(brokers[i % len(brokers)], chaos))
        app = make_app(instances[-1])
        clients.append(await aiohttp_client(app))
        pool = pool or app[POOL]

        async def consuming(app: web.Application = app) -> bool:
            return CONSUMER in app and bool(await app[CONSUMER].is_consuming())

        await eventually(consuming)
    assert pool is not None
    return Deliverer(brokers[0], topology, chaos, pool, instances, clients)


@asynccontextmanager
async def rabbitmq_brokers(namespace: str, count: int) -> AsyncIterator[list[Transport]]:
    """Yield `count` RabbitMQ connections on the test's exchange (one per instance)."""
    from shared.messaging.rabbit import RabbitTransport
    from tests.support.infra import AMQP_URL

    brokers = [RabbitTransport(AMQP_URL, exchange=f"{namespace}.events",
                               connection_name=f"interleaving-{i}") for i in range(count)]
    try:
        for broker in brokers:
            await broker.connect()
        yield list(brokers)
    finally:
        for broker in brokers:
            await broker.close()


@pytest.fixture
async def memory_broker() -> AsyncIterator[InMemoryTransport]:
    """One in-process broker shared by every instance."""
    broker = InMemoryTransport()
    yield broker
    await broker.close()
