"""The raw consumer of the notification benchmark: the broker work of one SMS and one INSERT.

Usage (started by bench/notification_bench.py):
    python -m bench.notification_raw DSN QUEUE OUTCOMES

For each enrolment event on QUEUE (aio-pika, prefetch 256, manual acks): parse the envelope,
render the SMS text, INSERT the row into `sink_messages`, publish one persistent outcome message
to OUTCOMES with a publisher confirm (the service announces `notification.delivered` the same
way, through its outbox and relay), then ack. That is what the notification service does with
the broker per SMS (one message in, one out), with one statement instead of its ledger,
dispatcher and outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from datetime import UTC, datetime

import aio_pika
import asyncpg

from bench.common import AMQP_URL
from bench.pipeline_raw import PREFETCH, sms_text
from shared.ids import new_id

_INSERT_SMS = """
INSERT INTO sink_messages (notification_id, recipient, body, created_at) VALUES ($1, $2, $3, $4)
"""


async def consume(dsn: str, queue_name: str, outcomes: str) -> None:
    """Write one SMS row and publish one outcome per message, then ack; until cancelled."""
    pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
    connection = await aio_pika.connect(AMQP_URL)
    try:
        publisher = await connection.channel(publisher_confirms=True)
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            recipient, text = sms_text(message.body)
            notification_id = new_id()
            await pool.execute(_INSERT_SMS, notification_id, recipient, text, datetime.now(UTC))
            outcome = json.dumps({"notification_id": str(notification_id),
                                  "source_message_id": message.message_id}).encode()
            await publisher.default_exchange.publish(
                aio_pika.Message(outcome, message_id=str(new_id()),
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=outcomes)
            await message.ack()

        queue = await channel.get_queue(queue_name, ensure=False)
        await queue.consume(on_message)
        await asyncio.Future()
    finally:
        await connection.close()
        await pool.close()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(consume(sys.argv[1], sys.argv[2], sys.argv[3]))
