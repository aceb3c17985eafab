"""Processes killed at the worst moments lose nothing and apply nothing twice."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from shared.messaging.rabbit import RabbitTransport
from shared.metrics import MESSAGES_CONSUMED
from tests.messaging.harness import EFFECTS_DDL, ThingHappened, pipeline
from tests.support.infra import eventually


@asynccontextmanager
async def spawned(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run tests.messaging.proc in a child process; make sure it is gone afterwards."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.messaging.proc", *args)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _duplicates() -> float:
    return float(
        sum(
            sample.value
            for metric in MESSAGES_CONSUMED.collect()
            for sample in metric.samples
            if sample.labels.get("outcome") == "duplicate" and sample.name.endswith("_total")
        )
    )


async def test_relay_killed_holding_claimed_rows_leaves_them_for_the_next_relay(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        await p.emit(*(ThingHappened(thing_id=f"k{i}", n=i) for i in range(100)))
        args = ("--role", "relay", "--crash", "before_publish")
        async with spawned(*args, "--dsn", pg_dsn, "--namespace", namespace) as proc:
            assert await asyncio.wait_for(proc.wait(), 60) == -signal.SIGKILL
        assert await p.pending() == 100
        assert await rabbit.message_count(p.topology.queue) == 0
        p.start_relay()
        await p.start_consumer()

        async def all_done() -> bool:
            return await p.effects() == 100

        await eventually(all_done, timeout=90, what="all 100 handled")
        assert set((await p.effects_per_message()).values()) == {1}


async def test_relay_killed_after_confirm_republishes_and_the_inbox_absorbs_duplicates(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        await p.start_consumer()
        await p.emit(*(ThingHappened(thing_id=f"c{i}", n=i) for i in range(100)))
        args = ("--role", "relay", "--crash", "after_confirm")
        async with spawned(*args, "--dsn", pg_dsn, "--namespace", namespace) as proc:
            assert await asyncio.wait_for(proc.wait(), 60) == -signal.SIGKILL
        assert await p.pending() == 100  # confirmed by the broker, never marked sent

        async def first_copies_handled() -> bool:
            return await p.effects() == 100

        # Deadlines, not waits: 100 handlings take well under a second on a quiet machine, and
        # up to tens of seconds while a loaded PostgreSQL answers in hundreds of milliseconds.
        await eventually(first_copies_handled, timeout=90, what="the first copies handled")
        before = _duplicates()
        p.start_relay()

        async def second_copies_skipped() -> bool:
            return _duplicates() - before == 100 and await p.pending() == 0

        await eventually(second_copies_skipped, timeout=90, what="the second copies skipped")
        assert await p.effects() == 100
        assert set((await p.effects_per_message()).values()) == {1}


async def test_consumer_killed_before_commit_gets_the_message_again_with_one_effect(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        [env] = await p.emit(ThingHappened(thing_id="survivor"))
        p.start_relay()
        args = ("--role", "consumer", "--crash", "before_commit")
        async with spawned(*args, "--dsn", pg_dsn, "--namespace", namespace) as proc:
            assert await asyncio.wait_for(proc.wait(), 60) == -signal.SIGKILL
        assert await p.effects() == 0  # the doomed transaction never committed
        await p.start_consumer()

        async def handled() -> bool:
            return await p.effects() == 1

        await eventually(handled)
        rows = await p.pool.fetch("SELECT thing_id FROM effects")
        assert [r["thing_id"] for r in rows] == ["survivor"]
        assert p.behaviour.attempts[str(env.message_id)] == 1


async def test_consumer_killed_after_commit_before_ack_is_skipped_by_the_inbox(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        [env] = await p.emit(ThingHappened(thing_id="committed-not-acked"))
        p.start_relay()
        args = ("--role", "consumer", "--crash", "after_commit")
        async with spawned(*args, "--dsn", pg_dsn, "--namespace", namespace) as proc:
            assert await asyncio.wait_for(proc.wait(), 60) == -signal.SIGKILL
        assert await p.effects() == 1
        before = _duplicates()
        await p.start_consumer()

        async def redelivered_and_skipped() -> bool:
            return _duplicates() - before == 1

        await eventually(redelivered_and_skipped)
        assert await p.effects() == 1
        assert p.behaviour.attempts[str(env.message_id)] == 0  # the handler never ran again


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_sigterm_under_load_finishes_or_returns_in_flight_work(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str, key_files: Path
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        await p.pool.execute(EFFECTS_DDL)
        await p.emit(*(ThingHappened(thing_id=f"s{i % 40}", n=i) for i in range(800)))
        args = ("--role", "service", "--port", str(_free_port()))
        key = str(key_files / "jwt-signing.pub.pem")
        async with spawned(
            *args, "--dsn", pg_dsn, "--namespace", namespace, "--public-key", key
        ) as proc:

            async def busy() -> bool:
                return await p.effects() >= 40

            await eventually(busy, timeout=30)
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 30) == 0  # a clean, graceful exit
        stopped_at = await p.effects()
        assert stopped_at < 800, "the test needs work left over when SIGTERM arrived"
        p.start_relay()
        await p.start_consumer()

        async def all_done() -> bool:
            return await p.effects() == 800

        await eventually(all_done, timeout=60)
        assert set((await p.effects_per_message()).values()) == {1}
