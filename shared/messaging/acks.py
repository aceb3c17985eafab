"""Acknowledge a consumer channel's deliveries together: one `multiple` ack for a run of them.

RabbitMQ numbers the deliveries of a channel 1, 2, 3, ... and a `multiple` ack of tag N settles
every delivery up to N that is still unsettled. So one frame may settle many deliveries, but
only if every one of them is decided: a multiple ack is sent only for a run of tags from the
lowest unsettled one, each settled already or being acked now. A consumer batch's messages are
acked in the same turn of the event loop, so one frame usually settles the whole batch; an ack
after a gap (an earlier delivery still being handled) goes alone, as every ack did before.
"""

from __future__ import annotations

import asyncio

import aiormq.abc


class ChannelAcks:
    """Send the acks and nacks of one AMQP channel's deliveries, coalescing acks."""

    def __init__(self, channel: aiormq.abc.AbstractChannel) -> None:
        self.channel = channel
        self._floor = 0  # every delivery up to this tag is settled
        self._settled: set[int] = set()  # settled tags above the floor
        self._waiting: dict[int, asyncio.Future[None]] = {}  # acks not sent yet
        self._sender: asyncio.Task[None] | None = None

    async def ack(self, tag: int) -> None:
        """Ack one delivery; return once its frame (alone or as part of a run) is written."""
        done = asyncio.get_running_loop().create_future()
        self._waiting[tag] = done
        if self._sender is None:
            # Starts in the next turn of the loop: acks made in this one join the same frame.
            self._sender = asyncio.create_task(self._send_waiting(), name="amqp-acks")
        await done

    async def nack(self, tag: int, *, requeue: bool) -> None:
        """Reject one delivery on its own (no run is sent across it until this is written)."""
        await self.channel.basic_nack(delivery_tag=tag, requeue=requeue)
        self._settle([tag])

    async def _send_waiting(self) -> None:
        try:
            while self._waiting:
                waiting, self._waiting = self._waiting, {}
                await self._send(waiting)
        finally:
            self._sender = None

    async def _send(self, waiting: dict[int, asyncio.Future[None]]) -> None:
        top, tag = 0, self._floor + 1
        while tag in waiting or tag in self._settled:
            if tag in waiting:
                top = tag
            tag += 1
        in_run = [t for t in waiting if t <= top]
        alone = [(t, False) for t in waiting if t > top]
        frames = ([(top, len(in_run) > 1)] if top else []) + alone
        for last, multiple in frames:
            covered = in_run if multiple else [last]
            try:
                await self.channel.basic_ack(delivery_tag=last, multiple=multiple)
            except Exception as exc:  # the channel is gone: none of the rest can be sent either
                for future in waiting.values():
                    if not future.done():
                        future.set_exception(exc)
                return
            self._settle(covered)
            for settled in covered:
                if not waiting[settled].done():  # its task may have been cancelled meanwhile
                    waiting[settled].set_result(None)

    def _settle(self, tags: list[int]) -> None:
        self._settled.update(tags)
        while self._floor + 1 in self._settled:
            self._floor += 1
            self._settled.discard(self._floor)
