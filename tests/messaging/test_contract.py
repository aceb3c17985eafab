"""One contract for both brokers: the in-memory bus behaves like RabbitMQ where we rely on it."""

from __future__ import annotations

import json

import pytest

from shared.events.envelope import Envelope
from shared.messaging import dlq
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import OutgoingMessage, Transport, Unroutable
from tests.messaging.harness import NobodyListens, ThingHappened, pipeline
from tests.support.infra import eventually


def _message(envelope: Envelope) -> OutgoingMessage:
    return OutgoingMessage(
        body=envelope.model_dump_json().encode(),
        message_id=str(envelope.message_id),
        type=envelope.routing_key,
        headers=envelope.headers(),
    )


async def test_mandatory_publish_without_a_bound_queue_is_unroutable(
    transport: Transport, namespace: str
) -> None:
    await transport.declare(QueueTopology(queue=f"{namespace}.x", bindings=("a.v1",)))
    with pytest.raises(Unroutable):
        await transport.publish(
            OutgoingMessage(b"{}", "m1", "b.v1"), routing_key="b.v1", mandatory=True
        )
    await transport.publish(
        OutgoingMessage(b"{}", "m2", "b.v1"), routing_key="b.v1", mandatory=False
    )


async def test_publish_to_missing_queue_is_unroutable(transport: Transport, namespace: str) -> None:
    await transport.declare(QueueTopology(queue=f"{namespace}.x", bindings=("a.v1",)))
    with pytest.raises(Unroutable):
        await transport.publish(
            OutgoingMessage(b"{}", "m1", "t"), routing_key=f"{namespace}.nope", to_queue=True
        )


async def test_nacked_delivery_is_redelivered_and_get_returns_none_when_empty(
    transport: Transport, namespace: str
) -> None:
    topology = QueueTopology(queue=f"{namespace}.x", bindings=("a.v1",))
    await transport.declare(topology)
    await transport.publish(OutgoingMessage(b"hello", "m1", "a.v1"), routing_key="a.v1")

    async def has_one() -> bool:
        return await transport.message_count(topology.queue) == 1

    await eventually(has_one)
    first = await transport.get(topology.queue)
    assert first is not None
    assert first.body == b"hello"
    assert not first.redelivered
    await first.nack(requeue=True)
    again = await transport.get(topology.queue)
    assert again is not None
    assert again.message_id == "m1"
    assert again.redelivered
    await again.ack()
    assert await transport.get(topology.queue) is None


async def test_delay_queue_dead_letters_back_to_the_work_queue(
    transport: Transport, namespace: str
) -> None:
    topology = QueueTopology(queue=f"{namespace}.x", bindings=("a.v1",), delay_tiers_ms=(50,))
    await transport.declare(topology)
    await transport.publish(
        OutgoingMessage(b"later", "m1", "a.v1"), routing_key=topology.retry_queue(1), to_queue=True
    )

    async def back_in_work_queue() -> bool:
        return await transport.message_count(topology.queue) == 1

    await eventually(back_in_work_queue)
    assert await transport.message_count(topology.retry_queue(1)) == 0


async def test_same_message_id_twice_has_one_effect(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        envelope = p.writer.envelope(ThingHappened(thing_id="dup", n=1))
        await p.start_consumer()
        for _ in range(3):
            await transport.publish(_message(envelope), routing_key=envelope.routing_key)
        other = p.writer.envelope(ThingHappened(thing_id="after", n=2))
        await transport.publish(_message(other), routing_key=other.routing_key)

        async def both_handled() -> bool:
            return await p.effects() == 2 and p.behaviour.attempts[str(other.message_id)] == 1

        await eventually(both_handled)
        assert (await p.effects_per_message())[str(envelope.message_id)] == 1
        assert p.behaviour.attempts[str(envelope.message_id)] == 1  # later copies skipped early


async def test_injected_deadlock_is_retried_at_once_with_one_effect(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer()
        [env] = [p.writer.envelope(ThingHappened(thing_id="d", mode="deadlock_once"))]
        await transport.publish(_message(env), routing_key=env.routing_key)

        async def handled() -> bool:
            return await p.effects() == 1

        await eventually(handled)
        assert p.behaviour.attempts[str(env.message_id)] == 2
        assert await transport.message_count(p.topology.retry_queue(1)) == 0


async def test_a_message_losing_many_lock_races_is_retried_in_place_not_in_a_delay_tier(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer()
        env = p.writer.envelope(ThingHappened(thing_id="l", mode="lock_lost_times", times=7))
        await transport.publish(_message(env), routing_key=env.routing_key)

        async def handled() -> bool:
            return await p.effects() == 1

        await eventually(handled)
        assert p.behaviour.tiers[str(env.message_id)] == [0] * 8  # never through a delay tier
        assert await transport.message_count(p.topology.error_queue) == 0


async def test_flaky_handler_succeeds_through_the_delay_tiers(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer()
        env = p.writer.envelope(ThingHappened(thing_id="f", mode="fail_times", times=2))
        await transport.publish(_message(env), routing_key=env.routing_key)

        async def handled() -> bool:
            return await p.effects() == 1

        await eventually(handled)
        assert p.behaviour.attempts[str(env.message_id)] == 3
        assert await transport.message_count(p.topology.error_queue) == 0


async def test_poison_message_lands_in_error_with_fault_event_while_others_flow(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    faults = QueueTopology(queue=f"{namespace}.faults", bindings=("message.faulted.v1",))
    await transport.declare(faults)
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer(prefetch=4)
        poison = p.writer.envelope(ThingHappened(thing_id="poison", mode="fail_always"))
        await transport.publish(_message(poison), routing_key=poison.routing_key)
        for i in range(30):
            env = p.writer.envelope(ThingHappened(thing_id=f"ok{i}", n=i))
            await transport.publish(_message(env), routing_key=env.routing_key)

        async def poison_parked() -> bool:
            return await transport.message_count(p.topology.error_queue) == 1

        await eventually(poison_parked)
        assert await p.effects() == 30  # the poison's inserts were rolled back every time
        attempts = 1 + len(p.topology.delay_tiers_ms)
        assert p.behaviour.attempts[str(poison.message_id)] == attempts
        parked = await dlq.list_parked(transport, p.topology.error_queue)
        assert [m.message_id for m in parked] == [str(poison.message_id)]
        assert parked[0].exception_type == "builtins.RuntimeError"
        assert "poison" in parked[0].exception_message
        assert parked[0].attempts == attempts

        async def fault_published() -> bool:
            return await transport.message_count(faults.queue) == 1

        await eventually(fault_published)
        fault = await transport.get(faults.queue)
        assert fault is not None
        data = json.loads(fault.body)["data"]
        assert data["message_id"] == str(poison.message_id)
        assert data["queue"] == p.topology.queue
        await fault.ack()


async def test_invalid_payload_goes_straight_to_error_without_retries(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer()
        env = p.writer.envelope(ThingHappened(thing_id="x"))
        broken = env.model_copy(update={"data": {"n": "not a number"}})
        await transport.publish(_message(broken), routing_key=broken.routing_key)
        await transport.publish(
            OutgoingMessage(b"not json at all", "garbage", "test.thing_happened.v1"),
            routing_key="test.thing_happened.v1",
        )

        async def both_parked() -> bool:
            return await transport.message_count(p.topology.error_queue) == 2

        await eventually(both_parked)
        assert p.behaviour.attempts == {}
        parked = await dlq.list_parked(transport, p.topology.error_queue)
        assert {m.exception_type for m in parked} == {
            "pydantic_core._pydantic_core.ValidationError"
        }
        assert all(m.attempts <= 1 for m in parked)


async def test_a_message_over_the_size_limit_goes_to_error_unread_and_takes_no_effect(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer(max_message_bytes=4096)
        fine = p.writer.envelope(ThingHappened(thing_id="fine"))
        padded = p.writer.envelope(ThingHappened(thing_id="big"))
        padded = padded.model_copy(update={"data": {**padded.data, "padding": "x" * 5000}})
        for envelope in (padded, fine):
            await transport.publish(_message(envelope), routing_key=envelope.routing_key)

        async def parked_and_handled() -> bool:
            return (await transport.message_count(p.topology.error_queue) == 1
                    and await p.effects() == 1)

        await eventually(parked_and_handled)
        [parked] = await dlq.list_parked(transport, p.topology.error_queue)
        assert parked.message_id == str(padded.message_id)
        assert parked.exception_type == "shared.messaging.consumer.MessageTooLarge"
        assert "the limit is 4096" in parked.exception_message
        assert set(p.behaviour.attempts) == {str(fine.message_id)}  # the big one never ran


async def test_unknown_type_goes_to_skipped(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer()
        env = p.writer.envelope(NobodyListens(thing_id="u"))
        await transport.publish(_message(env), routing_key=p.topology.queue, to_queue=True)

        async def skipped() -> bool:
            return await transport.message_count(p.topology.skipped_queue) == 1

        await eventually(skipped)
        assert await transport.message_count(p.topology.error_queue) == 0
        assert await p.effects() == 0
        [parked] = await dlq.list_parked(transport, p.topology.skipped_queue)
        assert parked.message_id == str(env.message_id)
        assert parked.skip_reason == f"no handler for {env.routing_key}"
        assert parked.failed_at  # when it was parked


async def test_replay_from_error_after_a_fix_gives_exactly_one_effect(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer()
        env = p.writer.envelope(ThingHappened(thing_id="p", mode="fail_times", times=10))
        await transport.publish(_message(env), routing_key=env.routing_key)

        async def parked() -> bool:
            return await transport.message_count(p.topology.error_queue) == 1

        await eventually(parked)
        assert await p.effects() == 0
        p.behaviour.attempts[str(env.message_id)] = 100  # "the fix": the handler now succeeds
        assert await dlq.replay(transport, p.topology.error_queue) == 1
        assert await dlq.replay(transport, p.topology.error_queue) == 0

        async def handled() -> bool:
            return await p.effects() == 1

        await eventually(handled)
        assert await transport.message_count(p.topology.error_queue) == 0


async def test_messages_of_one_aggregate_are_handled_in_order_under_concurrency(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.start_consumer(prefetch=64)
        for n in range(40):
            for agg in range(5):
                env = p.writer.envelope(ThingHappened(thing_id=f"agg{agg}", n=n))
                await transport.publish(_message(env), routing_key=env.routing_key)

        async def all_handled() -> bool:
            return await p.effects() == 200

        await eventually(all_handled)
        rows = await p.pool.fetch("SELECT thing_id, n FROM effects ORDER BY id")
        for agg in range(5):
            seen = [r["n"] for r in rows if r["thing_id"] == f"agg{agg}"]
            assert seen == list(range(40))
