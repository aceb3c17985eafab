"""Messages ready together share one transaction; a batch never costs a message an effect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.messaging.subscriptions import HandlerContext, Subscriptions
from shared.messaging.transport import OutgoingMessage, Transport
from tests.messaging.harness import Pipeline, ThingHappened, pipeline
from tests.support.infra import eventually
from tests.support.metrics import consumer_batches


async def _queue_up(p: Pipeline, transport: Transport, events: list[ThingHappened]) -> list[str]:
    """Publish straight to the work queue before any consumer runs; return the message ids."""
    ids = []
    for evt in events:
        env = p.writer.envelope(evt)
        await transport.publish(
            OutgoingMessage(
                body=env.model_dump_json().encode(),
                message_id=str(env.message_id),
                type=env.routing_key,
                headers=env.headers(),
            ),
            routing_key=env.routing_key,
        )
        ids.append(str(env.message_id))

    async def all_queued() -> bool:
        return await transport.message_count(p.topology.queue) == len(events)

    await eventually(all_queued)
    return ids



async def test_waiting_messages_share_transactions_and_each_has_one_effect(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        ids = await _queue_up(
            p, transport, [ThingHappened(thing_id=f"b{i}", n=i) for i in range(200)]
        )
        await p.start_consumer(prefetch=100, batch_concurrency=1)

        async def all_handled() -> bool:
            return await p.effects() == 200

        await eventually(all_handled)
        assert await p.effects_per_message() == dict.fromkeys(ids, 1)
        batches, messages = consumer_batches(p.topology.queue)
        assert messages == 200
        assert batches < 100  # most transactions carried several messages


async def test_a_failing_message_is_charged_once_per_attempt_and_its_batch_mates_commit(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        events = [ThingHappened(thing_id=f"m{i}", n=i) for i in range(40)]
        events.insert(20, ThingHappened(thing_id="poison", mode="fail_always"))
        ids = await _queue_up(p, transport, events)
        await p.start_consumer(prefetch=64, batch_concurrency=1)

        async def poison_parked() -> bool:
            return await transport.message_count(p.topology.error_queue) == 1

        await eventually(poison_parked)
        poison = ids.pop(20)
        assert await p.effects_per_message() == dict.fromkeys(ids, 1)
        # One handler run per attempt, as without batching: the first, then one per delay tier.
        assert p.behaviour.attempts[poison] == 1 + len(p.topology.delay_tiers_ms)


async def test_messages_already_in_the_inbox_are_skipped_inside_a_batch(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        ids = await _queue_up(
            p, transport, [ThingHappened(thing_id=f"d{i}", n=i) for i in range(30)]
        )
        seen = ids[::3]
        await p.pool.execute(
            "INSERT INTO inbox (consumer, message_id, message_type) "
            "SELECT $1, unnest($2::uuid[]), 'test.thing_happened.v1'",
            p.topology.queue,
            seen,
        )
        await p.start_consumer(prefetch=64, batch_concurrency=1)

        async def drained() -> bool:
            return await transport.message_count(p.topology.queue) == 0 and await p.effects() == 20

        await eventually(drained)
        effects = await p.effects_per_message()
        assert effects == {m: 1 for m in ids if m not in seen}
        assert all(p.behaviour.attempts[m] == 0 for m in seen)


def _with_prepare(p: Pipeline, *, fail_with: str) -> tuple[list[int], dict[str, object]]:
    """Give ThingHappened's handler a prepare; return (prepared batch sizes, what each got).

    A prepare of a batch holding `fail_with` raises (its size is recorded negative)."""
    sizes: list[int] = []
    got: dict[str, object] = {}
    subs = Subscriptions()

    async def prepare(batch: Sequence[tuple[Any, HandlerContext[None]]]) -> list[object]:
        if any(evt.thing_id == fail_with for evt, _ in batch):
            sizes.append(-len(batch))
            raise RuntimeError("prepare refused this batch")
        sizes.append(len(batch))
        await batch[0][1].uow.conn.execute("SELECT 1")  # in the batch's transaction
        return [f"prepared:{evt.thing_id}" for evt, _ in batch]

    async def record(evt: ThingHappened, ctx: HandlerContext[None]) -> None:
        got[str(ctx.envelope.message_id)] = ctx.prepared
        p.behaviour.attempts[str(ctx.envelope.message_id)] += 1
        await ctx.uow.conn.execute(
            "INSERT INTO effects (message_id, thing_id, n) VALUES ($1, $2, $3)",
            ctx.envelope.message_id, evt.thing_id, evt.n,
        )

    subs.add(ThingHappened, record, prepare=prepare)
    p.subscriptions = subs
    return sizes, got


async def test_a_prepare_runs_once_per_batch_and_each_handler_gets_its_own_result(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        sizes, got = _with_prepare(p, fail_with="none")
        events = [ThingHappened(thing_id=f"p{i}", n=i) for i in range(60)]
        ids = await _queue_up(p, transport, events)
        await p.start_consumer(prefetch=64, batch_concurrency=1)

        async def all_handled() -> bool:
            return await p.effects() == 60

        await eventually(all_handled)
        assert await p.effects_per_message() == dict.fromkeys(ids, 1)
        assert min(sizes) > 1
        prepared = {m: got[m] for m in ids if got[m] is not None}
        assert len(prepared) == sum(sizes)  # every prepared message got a result...
        assert all(v == f"prepared:{e.thing_id}"  # ...its own
                   for e, m in zip(events, ids, strict=True) if (v := prepared.get(m)))


async def test_a_failing_prepare_hands_its_batch_back_and_charges_no_message(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        sizes, got = _with_prepare(p, fail_with="t20")
        ids = await _queue_up(
            p, transport, [ThingHappened(thing_id=f"t{i}", n=i) for i in range(30)]
        )
        await p.start_consumer(prefetch=64, batch_concurrency=1)

        async def all_handled() -> bool:
            return await p.effects() == 30

        await eventually(all_handled)
        assert await p.effects_per_message() == dict.fromkeys(ids, 1)
        assert dict(p.behaviour.attempts) == dict.fromkeys(ids, 1)  # handed back, never charged
        assert min(sizes) < -1  # a batch with t20 was prepared, and failed
        assert got[ids[20]] is None  # t20 went alone, without a prepare
        assert await transport.message_count(p.topology.error_queue) == 0
