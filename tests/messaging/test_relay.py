"""Producer side: the relay publishes every committed outbox row, and nothing else."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import aio_pika

from shared.events.catalog import OtpRequested
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.relay import Relay, RelaySettings
from shared.messaging.transport import Transport
from shared.metrics import MESSAGES_PUBLISHED, PUBLISH_FAILURES
from tests.messaging.harness import NobodyListens, ThingHappened, pipeline
from tests.support.infra import AMQP_URL, eventually


async def _collect(namespace: str, routing_key: str) -> tuple[aio_pika.abc.AbstractQueue, object]:
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(
        f"{namespace}.tap", durable=True, arguments={"x-queue-type": "quorum"}
    )
    await queue.bind(exchange, routing_key)
    return queue, connection


async def _drain_ids(queue: aio_pika.abc.AbstractQueue) -> list[str]:
    ids = []
    while (message := await queue.get(fail=False, timeout=5)) is not None:
        ids.append(message.message_id or "")
        await message.ack()
    return ids


async def test_rolled_back_transaction_publishes_nothing(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        p.start_relay()
        await p.start_consumer()
        async with p.pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            await p.writer.add(conn, ThingHappened(thing_id="rolled-back"))
            await tx.rollback()
        [kept] = await p.emit(ThingHappened(thing_id="committed"))

        async def committed_handled() -> bool:
            return await p.effects() == 1

        await eventually(committed_handled)
        rows = await p.pool.fetch("SELECT thing_id FROM effects")
        assert [r["thing_id"] for r in rows] == ["committed"]
        assert await p.pool.fetchval("SELECT count(*) FROM outbox") == 1
        assert str(kept.message_id) in await p.effects_per_message()


async def test_unroutable_row_is_parked_alerted_and_not_counted_as_sent(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        relay = p.start_relay(parked_retry_s=0.2, housekeeping_interval_s=0.1)
        sent_before = MESSAGES_PUBLISHED.labels("test", "test.nobody_listens.v1")._value.get()
        parked_before = PUBLISH_FAILURES.labels("test", "unroutable")._value.get()
        await p.emit(NobodyListens(thing_id="lonely"))

        async def parked() -> bool:
            return bool(
                await p.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'parked'")
            )

        await eventually(parked)
        assert PUBLISH_FAILURES.labels("test", "unroutable")._value.get() > parked_before
        assert (
            MESSAGES_PUBLISHED.labels("test", "test.nobody_listens.v1")._value.get() == sent_before
        )
        assert (await relay.refresh_stats())["parked"] == 1
        # Once a consumer binds the key, the parked row is retried and sent.
        queue, connection = await _collect(namespace, "test.nobody_listens.v1")
        async with connection:  # type: ignore[attr-defined]

            async def sent() -> bool:
                return bool(
                    await p.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'")
                )

            await eventually(sent)
            assert len(await _drain_ids(queue)) == 1


async def test_nacked_publish_keeps_the_row_pending_until_the_broker_accepts_it(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        full = await channel.declare_queue(
            f"{namespace}.full",
            durable=True,
            arguments={"x-max-length": 1, "x-overflow": "reject-publish"},  # classic: exact limit
        )
        await full.bind(exchange, "test.thing_happened.v1")
        async with pipeline(pg_dsn, rabbit, namespace) as p:
            await p.emit(ThingHappened(thing_id="fills-the-queue"))
            relay = Relay(service="test", dsn=p.dsn, pool=p.pool, transport=rabbit)
            assert (await relay.drain_once()).sent == 1
            await p.emit(ThingHappened(thing_id="nacked"))
            result = await relay.drain_once()
            assert (result.sent, result.failed) == (0, 1)
            row = await p.pool.fetchrow(
                "SELECT status, attempts, last_error FROM outbox WHERE status <> 'sent'"
            )
            assert row is not None
            assert row["status"] == "pending"
            assert row["attempts"] == 1
            assert "refused" in row["last_error"]
            await full.purge()
            assert (await relay.drain_once()).sent == 1
            assert await p.pending() == 0


async def test_two_relays_publish_disjoint_rows(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    queue, connection = await _collect(namespace, "test.#")
    async with connection, pipeline(pg_dsn, rabbit, namespace) as p:  # type: ignore[attr-defined]
        envelopes = await p.emit(*(ThingHappened(thing_id=f"t{i % 50}", n=i) for i in range(2000)))
        p.start_relay(batch_size=100)
        p.start_relay(batch_size=100)

        async def drained() -> bool:
            return await p.pending() == 0

        await eventually(drained, timeout=60)
        ids = await _drain_ids(queue)
        counts = Counter(ids)
        assert len(ids) == 2000
        assert max(counts.values()) == 1
        assert set(counts) == {str(e.message_id) for e in envelopes}


async def test_several_relays_keep_each_aggregate_in_order(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection, pipeline(pg_dsn, rabbit, namespace) as p:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            f"{namespace}.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            f"{namespace}.order", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange, "test.#")
        await p.emit(*(ThingHappened(thing_id=f"a{i % 7}", n=i) for i in range(700)))
        for _ in range(3):
            p.start_relay(batch_size=20)

        async def drained() -> bool:
            return await p.pending() == 0

        await eventually(drained, timeout=60)
        seen: dict[str, list[int]] = {}
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            data = ThingHappened.model_validate_json(
                message.body.decode().split('"data":', 1)[1][:-1]
            )
            seen.setdefault(data.thing_id, []).append(data.n)
            await message.ack()
        assert sum(map(len, seen.values())) == 700
        for numbers in seen.values():
            assert numbers == sorted(numbers)


async def test_commit_order_inversion_does_not_skip_a_row(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        p.start_relay(poll_interval_s=0.1)
        await p.start_consumer()
        slow = await p.pool.acquire()
        try:
            tx = slow.transaction()
            await tx.start()
            [early] = await p.writer.add(slow, ThingHappened(thing_id="lower-id-commits-late"))
            [late] = await p.emit(ThingHappened(thing_id="higher-id-commits-first"))

            async def later_one_handled() -> bool:
                return str(late.message_id) in await p.effects_per_message()

            await eventually(later_one_handled)
            await tx.commit()
        finally:
            await p.pool.release(slow)

        async def early_one_handled() -> bool:
            return str(early.message_id) in await p.effects_per_message()

        await eventually(early_one_handled)
        ids = await p.pool.fetch("SELECT id, message_id FROM outbox ORDER BY id")
        assert ids[0]["message_id"] == early.message_id  # it really had the lower id


async def test_lost_listen_connection_falls_back_to_polling(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        await p.start_consumer()
        relay = Relay(
            service="test",
            dsn=p.dsn,
            pool=p.pool,
            transport=rabbit,
            settings=RelaySettings(poll_interval_s=0.2, idle_poll_interval_s=3600),
        )
        task = asyncio.create_task(relay.run())
        try:

            async def listening() -> bool:
                return relay.listener.listening

            await eventually(listening)
            await p.emit(ThingHappened(thing_id="via-notify"))

            async def first() -> bool:
                return await p.effects() == 1

            await eventually(first, timeout=5)  # the hour-long idle poll proves NOTIFY woke it
            assert relay.listener.connection is not None
            pid = relay.listener.connection.get_server_pid()
            assert await p.pool.fetchval("SELECT pg_terminate_backend($1)", pid)

            async def lost() -> bool:
                return not relay.listener.listening

            await eventually(lost)
            await p.emit(ThingHappened(thing_id="via-polling"))

            async def second() -> bool:
                return await p.effects() == 2

            await eventually(second, timeout=10)
            await eventually(listening, timeout=15)  # and it listens again
        finally:
            await relay.stop()
            await task


async def test_relay_reports_backlog_and_oldest_age(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        relay = Relay(service="test", dsn=p.dsn, pool=p.pool, transport=rabbit)
        await p.emit(*(ThingHappened(thing_id=f"b{i}") for i in range(5)))
        stats = await relay.refresh_stats()
        assert stats["pending"] == 5
        assert stats["oldest_age"] >= 0
        await relay.drain_once()
        assert (await relay.refresh_stats())["pending"] == 0


async def test_a_parked_row_holds_back_later_rows_of_its_aggregate(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        relay = Relay(service="test", dsn=p.dsn, pool=p.pool, transport=rabbit)
        await p.emit(NobodyListens(thing_id="agg"))
        await p.emit(ThingHappened(thing_id="agg", n=1), ThingHappened(thing_id="other", n=2))
        first = await relay.drain_once()
        assert (first.parked, first.sent) == (1, 1)  # "other" went; "agg" waits behind its park
        assert (await relay.drain_once()).claimed == 0
        queue, connection = await _collect(namespace, "test.nobody_listens.v1")
        async with connection:  # type: ignore[attr-defined]
            await p.pool.execute("UPDATE outbox SET status = 'pending' WHERE status = 'parked'")
            assert (await relay.drain_once()).sent == 1  # the parked row first ...
            assert (await relay.drain_once()).sent == 1  # ... then the one behind it
            assert len(await _drain_ids(queue)) == 1
        assert await p.pending() == 0


async def test_outbox_headers_are_json_objects_and_older_string_headers_still_publish(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        [envelope] = await p.emit(ThingHappened(thing_id="new-row"))
        row = await p.pool.fetchrow(
            "SELECT jsonb_typeof(headers) AS kind, headers->>'x-correlation-id' AS corr "
            "FROM outbox WHERE message_id = $1", envelope.message_id)
        assert row is not None
        assert (row["kind"], row["corr"]) == ("object", envelope.correlation_id)
        # A row written by an earlier release kept its headers as a JSON string.
        [old] = await p.emit(ThingHappened(thing_id="old-row"))
        await p.pool.execute(
            "UPDATE outbox SET headers = to_jsonb(headers::text) WHERE message_id = $1",
            old.message_id)
        assert await p.pool.fetchval(
            "SELECT jsonb_typeof(headers) FROM outbox WHERE message_id = $1",
            old.message_id) == "string"
        p.start_relay()
        await p.start_consumer()

        # The relay marks a row sent after the broker's confirm, which may come after the
        # consumer has already handled the message: wait for both.
        async def both_handled_and_marked_sent() -> bool:
            return await p.effects() == 2 and await p.pending() == 0

        await eventually(both_handled_and_marked_sent, what="both rows published and handled")


def _code(code: str, *, expires_in: timedelta) -> OtpRequested:
    return OtpRequested(phone="+8613800138000", code=code,
                        expires_at=datetime.now(UTC) + expires_in)


async def test_a_row_holding_a_sign_in_code_is_deleted_once_published_and_others_are_kept(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    tap, connection = await _collect(namespace, "#")
    try:
        async with pipeline(pg_dsn, rabbit, namespace) as p:
            code, other = await p.emit(_code("482913", expires_in=timedelta(minutes=5)),
                                       ThingHappened(thing_id="kept"))
            relay = Relay(service="test", dsn=p.dsn, pool=p.pool, transport=p.transport)
            assert (await relay.drain_once()).sent == 2
            rows = await p.pool.fetch("SELECT message_id, status, body FROM outbox")
            assert [(r["message_id"], r["status"]) for r in rows] == [(other.message_id, "sent")]
            assert "482913" not in rows[0]["body"]
            assert set(await _drain_ids(tap)) == {str(code.message_id), str(other.message_id)}
    finally:
        await connection.close()  # type: ignore[attr-defined]


async def test_an_unpublished_sign_in_code_is_deleted_once_it_expires(
    pg_dsn: str, transport: Transport, namespace: str
) -> None:
    async with pipeline(pg_dsn, transport, namespace) as p:
        await p.emit(_code("111111", expires_in=timedelta(seconds=-1)),
                     ThingHappened(thing_id="pending"))
        [valid] = await p.emit(_code("222222", expires_in=timedelta(minutes=5)))
        relay = Relay(service="test", dsn=p.dsn, pool=p.pool, transport=p.transport)
        assert await relay.purge_expired_secrets() == 1
        bodies = [r["body"] for r in await p.pool.fetch("SELECT body FROM outbox")]
        assert len(bodies) == 2
        assert not any("111111" in body for body in bodies)
        assert any(str(valid.message_id) in body for body in bodies)
