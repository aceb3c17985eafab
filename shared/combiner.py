"""Combine concurrent work on one hot key: whoever runs for the key takes everyone waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 - an item of work
T = TypeVar("T")  # its answer

# Runs one batch; returns, for each item in order, its answer or the exception it raised.
RunBatch = Callable[[Sequence[I]], Awaitable[Sequence[T | Exception]]]


@dataclass(slots=True)
class _Queue(Generic[I, T]):
    waiting: list[tuple[I, asyncio.Future[T]]] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None


class Combiner(Generic[I, T]):
    """A per-key queue of work in this process: the first item starts a runner for its key,
    which takes every item that accumulated (in arrival order, at most `most` at a time) and
    runs them as one batch until the queue is empty. Each caller gets its own answer."""

    def __init__(self, *, most: int = 100) -> None:
        self._most = most
        self._queues: dict[Hashable, _Queue[I, T]] = {}

    async def submit(self, key: Hashable, item: I, run: RunBatch[I, T]) -> T:
        """Queue `item` under `key` and wait for its answer from the batch it joins."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(key, _Queue())
        queue.waiting.append((item, future))
        if queue.runner is None:
            # A task, not the first caller: a caller that goes away must not abort the batch.
            queue.runner = asyncio.create_task(self._drain(key, queue, run))
        return await future

    async def _drain(self, key: Hashable, queue: _Queue[I, T], run: RunBatch[I, T]) -> None:
        try:
            while queue.waiting:
                batch = [(i, f) for i, f in queue.waiting[: self._most] if not f.done()]
                del queue.waiting[: self._most]
                if batch:
                    await self._run(batch, run)
        finally:
            queue.runner = None
            del self._queues[key]
            for _, future in queue.waiting:  # only when cancelled (shutting down)
                future.cancel()

    @staticmethod
    async def _run(batch: list[tuple[I, asyncio.Future[T]]], run: RunBatch[I, T]) -> None:
        try:
            answers = await run([item for item, _ in batch])
        except Exception as exc:  # the whole batch failed: every caller hears why
            answers = [exc] * len(batch)
        except BaseException:
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), answer in zip(batch, answers, strict=True):
            if future.done():  # the caller went away
                continue
            if isinstance(answer, Exception):
                future.set_exception(answer)
            else:
                future.set_result(answer)
