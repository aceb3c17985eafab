"""The raw chain of the pipeline benchmark: the least code that does the platform's work.

Usage (started by bench/pipeline.py):
    python -m bench.pipeline_raw enrol PORT DSN QUEUE   bare enrol handler + bare relay
    python -m bench.pipeline_raw consume DSN QUEUE      bare consumer writing the SMS row

- enrol:   bench/enrollment_baseline.py's bare aiohttp handler (seat UPDATE + enrolment row +
           outbox row, one asyncpg transaction), and in the same process a bare relay: woken by
           the outbox trigger's NOTIFY (or every second), it claims up to 500 pending rows
           (FOR UPDATE SKIP LOCKED), publishes each persistent and mandatory with publisher
           confirms to QUEUE, and marks them sent in the same transaction.
- consume: aio-pika with prefetch 256 on QUEUE; per message, parse the envelope, render the SMS
           text, INSERT the row into `sink_messages` (stamped with the time of writing, as the
           platform's sink provider does) and ack after the insert.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import asyncpg
from aiohttp import web

from bench.common import AMQP_URL
from bench.enrollment_baseline import POOL, baseline_app, serve_baseline
from shared.ids import new_id

BATCH = 500
PREFETCH = 256
NOTIFY_CHANNEL = "jiangxin_outbox"  # the outbox trigger of shared/messaging/migrations

_CLAIM = """
SELECT id, message_id::text AS message_id, body FROM outbox WHERE status = 'pending'
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""
_MARK_SENT = "UPDATE outbox SET status = 'sent', sent_at = now() WHERE id = ANY($1::bigint[])"
_INSERT_SMS = """
INSERT INTO sink_messages (notification_id, recipient, body, created_at) VALUES ($1, $2, $3, $4)
"""
RAW_SINK = """
CREATE TABLE sink_messages (
    id bigserial PRIMARY KEY, notification_id uuid NOT NULL UNIQUE, recipient text NOT NULL,
    body text NOT NULL, created_at timestamptz NOT NULL)
"""


async def drain(pool: asyncpg.Pool, exchange: aio_pika.abc.AbstractExchange, queue: str) -> int:
    """Publish one claimed batch with confirms and mark it sent; return how many rows."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = off")
        rows = await conn.fetch(_CLAIM, BATCH)
        await asyncio.gather(*(exchange.publish(
            aio_pika.Message(row["body"].encode(), message_id=row["message_id"],
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=queue, mandatory=True) for row in rows))
        if rows:
            await conn.execute(_MARK_SENT, [row["id"] for row in rows])
    return len(rows)


async def relay(pool: asyncpg.Pool, dsn: str, queue: str) -> None:
    """Drain the outbox whenever a commit notifies, or every second."""
    wake = asyncio.Event()
    listener = await asyncpg.connect(dsn)
    await listener.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel(publisher_confirms=True)
        while True:
            wake.clear()
            if await drain(pool, channel.default_exchange, queue) < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 1.0)
    finally:
        await connection.close()
        await listener.close()


def serve_enrol(port: int, dsn: str, queue: str) -> None:
    """Serve the bare enrol handler with the bare relay beside it."""
    app = baseline_app(dsn)

    async def relay_ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(relay(app[POOL], dsn, queue))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(relay_ctx)
    serve_baseline(app, port)


def sms_text(envelope: bytes) -> tuple[str, str]:
    """Return the recipient key (the trainee's id) and the SMS text of an enrolment event."""
    data = json.loads(envelope)["data"]
    info = data["class_info"]
    return data["trainee"]["user_id"], (
        f"【匠心培训】{data['trainee']['name']}，您已报名{info['course_title_zh']}，"
        f"{info['starts_on']}开课，地点：{info['venue']}。")


async def consume(dsn: str, queue_name: str) -> None:
    """Write one SMS row per message and ack it after the insert, until cancelled."""
    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
    connection = await aio_pika.connect(AMQP_URL)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        recipient, text = sms_text(message.body)
        await pool.execute(_INSERT_SMS, new_id(), recipient, text, datetime.now(UTC))
        await message.ack()

    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.get_queue(queue_name, ensure=False)
        await queue.consume(on_message)
        await asyncio.Future()
    finally:
        await connection.close()
        await pool.close()


if __name__ == "__main__":
    if sys.argv[1] == "enrol":
        serve_enrol(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(consume(sys.argv[2], sys.argv[3]))
