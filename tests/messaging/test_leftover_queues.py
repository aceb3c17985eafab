"""Queues a killed test run left behind are swept by the next run; live runs' queues stay."""

from __future__ import annotations

import asyncio
import os
import sys

import aio_pika

from tests.support.infra import AMQP_URL, delete_leftover_queues, delete_queues, list_queues


async def test_queues_of_a_process_that_is_gone_are_deleted_and_live_ones_kept() -> None:
    finished = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await finished.wait()
    gone = f"jxt{finished.pid}p0abc-leftover.enrollment"
    ours = f"jxt{os.getpid()}p0abc-alive.enrollment"
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for name in (gone, ours):
            await channel.declare_queue(name, durable=True,
                                        arguments={"x-queue-type": "quorum"})
    try:
        assert await delete_leftover_queues() >= 1
        left = set(await list_queues("jxt"))
        assert gone not in left
        assert ours in left
    finally:
        await delete_queues([gone, ours])
