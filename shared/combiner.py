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
    runs them as one batch until the queue is empty. Each caller gets its own answer.

    An item that finds nobody waiting with it runs alone in its caller's task (the common
    case when keys are not hot: no runner task, no future to hand the answer over)."""

    def __init__(self, *, most: int = 100) -> None:
        self._most = most
        self._queues: dict[Hashable, _Queue[I, T]] = {}

    async def submit(self, key: Hashable, item: I, run: RunBatch[I, T]) -> T:
        """Queue `item` under `key` and wait for its answer from the batch it joins."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is not None:  # someone runs, or is about to run, for this key
            queue.waiting.append((item, future))
            return await future
        self._queues[key] = queue = _Queue(waiting=[(item, future)])
        try:
            await asyncio.sleep(0)  # callers of this same moment queue behind this one
        except BaseException:
            future.cancel()
            self._hand_over(key, queue, run)
            raise
        if len(queue.waiting) > 1:
            self._hand_over(key, queue, run)
            return await future
        queue.waiting.clear()
        try:
            answer = (await run([item]))[0]
        finally:
            self._hand_over(key, queue, run)  # whoever came meanwhile gets a runner
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _hand_over(self, key: Hashable, queue: _Queue[I, T], run: RunBatch[I, T]) -> None:
        if queue.waiting:
            # A task, not a caller: a caller that goes away must not abort others' batch.
            queue.runner = asyncio.create_task(self._drain(key, queue, run))
        else:
            del self._queues[key]

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
