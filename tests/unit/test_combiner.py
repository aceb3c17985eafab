"""The per-key combiner: one runner per key takes everyone waiting, each caller its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from shared.combiner import Combiner


class Recorder:
    """A batch runner that records its batches; an item "bad" fails alone, "boom" fails all."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()

    async def run(self, items: Sequence[str]) -> list[str | Exception]:
        self.batches.append(list(items))
        self.started.set()
        await self.gate.wait()
        if "boom" in items:
            raise RuntimeError("the whole batch failed")
        return [ValueError(i) if i == "bad" else i.upper() for i in items]


async def test_callers_waiting_on_one_key_form_one_batch_in_arrival_order() -> None:
    combiner: Combiner[str, str] = Combiner()
    runner = Recorder()

    answers = await asyncio.gather(*(combiner.submit("class", i, runner.run)
                                     for i in ["a", "b", "c"]))

    assert answers == ["A", "B", "C"]
    assert runner.batches == [["a", "b", "c"]]


async def test_different_keys_run_separately() -> None:
    combiner: Combiner[str, str] = Combiner()
    runner = Recorder()

    answers = await asyncio.gather(combiner.submit(1, "a", runner.run),
                                   combiner.submit(2, "b", runner.run))

    assert list(answers) == ["A", "B"]
    assert sorted(runner.batches) == [["a"], ["b"]]


async def test_one_refusal_reaches_only_its_caller() -> None:
    combiner: Combiner[str, str] = Combiner()
    runner = Recorder()

    outcomes = await asyncio.gather(*(combiner.submit("k", i, runner.run)
                                      for i in ["a", "bad", "c"]), return_exceptions=True)

    assert outcomes[0] == "A"
    assert isinstance(outcomes[1], ValueError)
    assert outcomes[2] == "C"


async def test_a_failed_batch_reaches_every_caller_in_it_and_the_next_batch_runs() -> None:
    combiner: Combiner[str, str] = Combiner()
    runner = Recorder()
    runner.gate.clear()
    first = asyncio.ensure_future(combiner.submit("k", "boom", runner.run))
    await runner.started.wait()
    later = asyncio.ensure_future(combiner.submit("k", "d", runner.run))
    runner.gate.set()

    with pytest.raises(RuntimeError):
        await first
    assert await later == "D"
    assert runner.batches == [["boom"], ["d"]]


async def test_a_caller_that_left_before_its_batch_started_is_not_run() -> None:
    combiner: Combiner[str, str] = Combiner()
    runner = Recorder()
    runner.gate.clear()
    first = asyncio.ensure_future(combiner.submit("k", "a", runner.run))
    await runner.started.wait()
    gone = asyncio.ensure_future(combiner.submit("k", "gone", runner.run))
    kept = asyncio.ensure_future(combiner.submit("k", "kept", runner.run))
    await asyncio.sleep(0)  # both have queued behind the running batch
    gone.cancel()
    runner.gate.set()

    assert [await first, await kept] == ["A", "KEPT"]
    assert gone.cancelled()
    assert runner.batches == [["a"], ["kept"]]


async def test_a_batch_takes_at_most_its_limit() -> None:
    combiner: Combiner[str, str] = Combiner(most=2)
    runner = Recorder()

    answers = await asyncio.gather(*(combiner.submit("k", i, runner.run)
                                     for i in ["a", "b", "c", "d", "e"]))

    assert answers == ["A", "B", "C", "D", "E"]
    assert runner.batches == [["a", "b"], ["c", "d"], ["e"]]


async def test_an_item_with_nobody_waiting_runs_in_its_callers_own_task() -> None:
    combiner: Combiner[str, str] = Combiner()
    ran_in: list[asyncio.Task[object] | None] = []

    async def run(items: Sequence[str]) -> list[str | Exception]:
        ran_in.append(asyncio.current_task())
        return [i.upper() for i in items]

    caller = asyncio.ensure_future(combiner.submit("k", "a", run))

    assert await caller == "A"
    assert ran_in == [caller]


async def test_a_lone_caller_that_leaves_mid_run_leaves_those_behind_it_answered() -> None:
    combiner: Combiner[str, str] = Combiner()
    runner = Recorder()
    runner.gate.clear()
    first = asyncio.ensure_future(combiner.submit("k", "a", runner.run))
    await runner.started.wait()
    behind = asyncio.ensure_future(combiner.submit("k", "b", runner.run))
    await asyncio.sleep(0)  # "b" has queued behind the running item
    first.cancel()
    runner.gate.set()

    assert await behind == "B"
    assert first.cancelled()
    assert runner.batches == [["a"], ["b"]]
