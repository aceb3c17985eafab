"""Backbone benchmark: raw aio-pika vs our outbox -> relay -> consumer+inbox vs FastStream.

Usage: python -m bench.backbone [--messages 20000] [--backlog 100000]

All three flows run in this process against the same broker, one after another:
- raw:        aio-pika publish (persistent, publisher confirms) + consume with manual ack
- pipeline:   outbox rows committed in PostgreSQL -> relay (confirms, mandatory) ->
              consumer (transaction with inbox row + one effect row, ack after commit)
- faststream: FastStream RabbitBroker publish (persistent) -> typed pydantic subscriber
Then the relay's drain rate of a pre-filled backlog, and commit-to-handler latency with the
producer committing at half the measured pipeline rate.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aio_pika
import asyncpg

from bench.common import (
    AMQP_URL,
    Stopwatch,
    fresh_database,
    percentile,
    remove_database,
    report,
    unique,
)
from shared.db import create_pool
from shared.events.envelope import Event, event
from shared.logging import configure_logging
from shared.messaging.consumer import Consumer, ConsumerSettings
from shared.messaging.outbox import OutboxWriter
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.relay import Relay, RelaySettings
from shared.messaging.subscriptions import HandlerContext, Subscriptions
from shared.messaging.topology import QueueTopology

PREFETCH = 256
PUBLISH_WINDOW = 500


@event("bench.tick", 1, aggregate="key")
class Tick(Event):
    """A benchmark event."""

    key: str
    n: int
    sent_at: float = 0.0


async def raw_aio_pika(count: int, url: str = AMQP_URL) -> float:
    """Return messages/s for publish-with-confirms + consume-with-ack through one queue."""
    connection = await aio_pika.connect(url)
    async with connection:
        pub = await connection.channel(publisher_confirms=True)
        sub = await connection.channel()
        await sub.set_qos(prefetch_count=PREFETCH)
        queue = await sub.declare_queue(
            unique("bench.raw"), durable=True, arguments={"x-queue-type": "quorum"}
        )
        done = asyncio.Event()
        received = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received == count:
                done.set()

        await queue.consume(on_message)
        body = Tick(key="k", n=0).model_dump_json().encode()
        with Stopwatch() as watch:
            for start in range(0, count, PUBLISH_WINDOW):
                await asyncio.gather(
                    *(
                        pub.default_exchange.publish(
                            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                            routing_key=queue.name,
                        )
                        for _ in range(min(PUBLISH_WINDOW, count - start))
                    )
                )
            await done.wait()
        await queue.delete(if_unused=False, if_empty=False)
    return count / watch.elapsed


def _subscriptions(effects: dict[str, Any]) -> Subscriptions:
    subs = Subscriptions()

    @subs.on(Tick)
    async def on_tick(tick: Tick, ctx: HandlerContext[None]) -> None:
        await ctx.uow.conn.execute(
            "INSERT INTO bench_effects (message_id, n) VALUES ($1, $2)",
            ctx.envelope.message_id,
            tick.n,
        )
        if tick.sent_at:
            effects["latencies"].append(time.time() - tick.sent_at)
        effects["count"] += 1
        if effects["count"] >= effects["target"]:
            effects["done"].set()

    return subs


class Pipeline:
    """A producer database, a relay and a consumer on one namespace."""

    def __init__(self, dsn: str, namespace: str) -> None:
        self.dsn, self.namespace = dsn, namespace
        self.effects: dict[str, Any] = {
            "count": 0,
            "target": 0,
            "latencies": [],
            "done": asyncio.Event(),
        }

    async def __aenter__(self) -> Pipeline:
        self.pool = await create_pool(self.dsn, min_size=4, max_size=12)
        await self.pool.execute(
            "CREATE TABLE IF NOT EXISTS bench_effects (message_id uuid PRIMARY KEY, n int)"
        )
        self.transport = RabbitTransport(AMQP_URL, exchange=f"{self.namespace}.events")
        await self.transport.connect()
        self.subs = _subscriptions(self.effects)
        self.topology = QueueTopology(
            queue=f"{self.namespace}.bench", bindings=self.subs.routing_keys
        )
        await self.transport.declare(self.topology)
        self.writer = OutboxWriter("bench")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for name in self.topology.all_queues:
                await channel.queue_delete(name)
            await channel.exchange_delete(f"{self.namespace}.events")
        await self.transport.close()
        await self.pool.close()

    def expect(self, count: int) -> None:
        self.effects.update(count=0, target=count, latencies=[], done=asyncio.Event())

    async def produce(self, count: int, *, per_tx: int = 100) -> None:
        for start in range(0, count, per_tx):
            async with self.pool.acquire() as conn, conn.transaction():
                await self.writer.add(
                    conn,
                    *(
                        Tick(key=f"k{i % 1000}", n=i)
                        for i in range(start, min(count, start + per_tx))
                    ),
                )

    def relay(self, **options: Any) -> Relay:
        return Relay(
            service="bench",
            dsn=self.dsn,
            pool=self.pool,
            transport=self.transport,
            settings=RelaySettings(**options),
        )

    def consumer(self) -> Consumer:
        return Consumer(
            service="bench",
            transport=self.transport,
            topology=self.topology,
            subscriptions=self.subs,
            pool=self.pool,
            outbox=self.writer,
            settings=ConsumerSettings(prefetch=PREFETCH),
        )


async def pipeline_rate(pipe: Pipeline, count: int) -> float:
    """Return events/s from the first outbox commit to the last handler commit."""
    pipe.expect(count)
    relay, consumer = pipe.relay(), pipe.consumer()
    await consumer.start()
    relay_task = asyncio.create_task(relay.run())
    with Stopwatch() as watch:
        await pipe.produce(count)
        await pipe.effects["done"].wait()
    await relay.stop()
    await relay_task
    await consumer.stop(grace_s=5)
    return count / watch.elapsed


async def drain_rate(pipe: Pipeline, backlog: int) -> float:
    """Return rows/s for the relay (as services run it) draining a pre-filled outbox."""
    await pipe.pool.execute("TRUNCATE outbox")
    await pipe.produce(backlog, per_tx=1000)
    await pipe.pool.execute("VACUUM ANALYZE outbox")
    relay = pipe.relay()
    with Stopwatch() as watch:
        task = asyncio.create_task(relay.run())
        while True:
            left = await pipe.pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending')"
            )
            if not left:
                break
            await asyncio.sleep(0.02)
    await relay.stop()
    await task
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(pipe.topology.queue)
        await queue.purge()
    return backlog / watch.elapsed


async def latency(pipe: Pipeline, rate: float, seconds: float) -> tuple[float, float, int]:
    """Commit single-event transactions at `rate`/s; return p50, p99 (ms) of commit->handler."""
    count = int(rate * seconds)
    pipe.expect(count)
    relay, consumer = pipe.relay(), pipe.consumer()
    await consumer.start()
    relay_task = asyncio.create_task(relay.run())
    interval = 1.0 / rate
    started = time.perf_counter()
    for i in range(count):
        delay = started + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        async with pipe.pool.acquire() as conn, conn.transaction():
            envelope = pipe.writer.envelope(Tick(key=f"l{i}", n=i, sent_at=0.0))
            tick = Tick(key=f"l{i}", n=i, sent_at=time.time())
            envelope = envelope.model_copy(update={"data": tick.model_dump(mode="json")})
            await pipe.writer.add_envelopes(conn, [envelope])
    await asyncio.wait_for(pipe.effects["done"].wait(), 60)
    await relay.stop()
    await relay_task
    await consumer.stop(grace_s=5)
    ms = [x * 1000 for x in pipe.effects["latencies"]]
    return percentile(ms, 50), percentile(ms, 99), len(ms)


async def faststream_rate(count: int) -> float:
    """Return messages/s for FastStream: persistent publish -> typed subscriber (auto ack)."""
    from faststream.rabbit import RabbitBroker, RabbitQueue
    from faststream.rabbit.schemas import QueueType

    broker = RabbitBroker(AMQP_URL, logger=None)
    queue = RabbitQueue(unique("bench.fs"), durable=True, queue_type=QueueType.QUORUM)
    done = asyncio.Event()
    received = 0

    @broker.subscriber(queue)
    async def handle(tick: Tick) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    await broker.start()
    try:
        with Stopwatch() as watch:
            for start in range(0, count, PUBLISH_WINDOW):
                await asyncio.gather(
                    *(
                        broker.publish(Tick(key="k", n=i), queue=queue, persist=True)
                        for i in range(start, min(count, start + PUBLISH_WINDOW))
                    )
                )
            await done.wait()
    finally:
        await broker.stop()
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue.name)
    return count / watch.elapsed


async def main(messages: int, backlog: int, latency_seconds: float) -> None:
    configure_logging(level="WARNING")
    dsn = await fresh_database("jx_bench_backbone")
    namespace = unique("bench").replace("_", "-")
    try:
        raw = await raw_aio_pika(messages)
        async with Pipeline(dsn, namespace) as pipe:
            ours = await pipeline_rate(pipe, messages)
            drain = await drain_rate(pipe, backlog)
            p50, p99, samples = await latency(pipe, ours / 2, latency_seconds)
        fast = await faststream_rate(messages)
    finally:
        await remove_database(dsn)
    report(
        "backbone",
        [
            ("messages per flow", f"{messages}"),
            ("raw aio-pika (confirms, manual ack)", f"{raw:,.0f} msg/s"),
            ("outbox -> relay -> consumer+inbox", f"{ours:,.0f} msg/s  ({ours / raw:.0%} of raw)"),
            ("FastStream publish -> subscriber", f"{fast:,.0f} msg/s  ({fast / raw:.0%} of raw)"),
            ("pipeline / FastStream", f"{ours / fast:.2f}x"),
            (f"relay drain of {backlog:,} rows", f"{drain:,.0f} rows/s"),
            (
                f"commit->handler at {ours / 2:,.0f}/s",
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms ({samples} samples)",
            ),
        ],
        {
            "messages": messages,
            "raw_msg_s": raw,
            "pipeline_msg_s": ours,
            "faststream_msg_s": fast,
            "pipeline_ratio": ours / raw,
            "faststream_ratio": fast / raw,
            "drain_rows_s": drain,
            "backlog": backlog,
            "latency_rate": ours / 2,
            "p50_ms": p50,
            "p99_ms": p99,
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.backlog, args.latency_seconds))

__all__ = ["asyncpg"]
