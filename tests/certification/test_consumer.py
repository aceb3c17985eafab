"""Completion events through RabbitMQ and the real consumer: one certificate per enrolment."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import pytest

from services.certification.app import create_app
from services.certification.subscriptions import subscriptions
from shared.messaging.rabbit import RabbitTransport
from shared.service import topology_for
from shared.web.keys import POOL
from tests.certification.conftest import AiohttpClient
from tests.certification.factories import completed, publish, settings_for
from tests.support.infra import AMQP_URL, eventually


@pytest.fixture
async def observed(namespace: str) -> AsyncIterator[list[str]]:
    """Routing keys of every certificate event the relays publish to the test exchange."""
    seen: list[str] = []
    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(f"{namespace}.events", aio_pika.ExchangeType.TOPIC,
                                              durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="certificate.#")

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        seen.append(message.routing_key or "")
        await message.ack()

    await queue.consume(on_message)
    yield seen
    await connection.close()


async def test_duplicate_out_of_order_and_corrected_events_through_two_racing_consumers(
    pg_dsn: str, namespace: str, cert_keys: Path, observed: list[str],
    aiohttp_client: AiohttpClient,
) -> None:
    """Each enrolment ends as its highest result version says, whichever instance takes which
    message in which order: one valid certificate for the passing one (announced once), none
    valid where the newest version fails. Whether a certificate was issued on the way for an
    older pass (and then revoked) depends on the order and is not asserted: the rule is that a
    certificate exists and is valid iff the highest version passes (docs/events.md)."""
    settings = settings_for(pg_dsn, namespace, cert_keys, run_relay=True, run_consumers=True,
                            relay_poll_interval_s=0.2)
    transport = RabbitTransport(AMQP_URL, exchange=settings.exchange_name,
                                connection_name="certification-test")
    await transport.connect()
    try:
        await transport.declare(topology_for(settings, subscriptions))
        first = create_app(settings)
        await aiohttp_client(first)
        await aiohttp_client(create_app(settings))  # a second instance on the same queue
        duplicated = completed()
        late_pass = completed(version=1)
        early_fail = completed(enrollment_id=late_pass.enrollment_id, version=2, passed=False)
        corrected = completed(version=1)
        correction = completed(enrollment_id=corrected.enrollment_id, version=2, passed=False)
        failing = completed(passed=False)
        envelope = await publish(transport, duplicated)
        for _ in range(2):
            await publish(transport, duplicated, envelope)  # redelivered: same message id
        for _ in range(3):
            await publish(transport, duplicated)  # re-sent: new message ids, same version
        await publish(transport, early_fail)
        await publish(transport, late_pass)
        await publish(transport, corrected)
        await publish(transport, correction)
        await publish(transport, failing)
        pool = first[POOL]

        async def all_consumed_and_announced() -> bool:
            issued = await pool.fetchval("SELECT count(*) FROM certificates "
                                         "WHERE number IS NOT NULL")
            revoked = await pool.fetchval("SELECT count(*) FROM certificates "
                                          "WHERE status = 'revoked'")
            return (await pool.fetchval("SELECT count(*) FROM inbox") == 9
                    and await pool.fetchval("SELECT count(*) FROM outbox "
                                            "WHERE status <> 'sent'") == 0
                    and Counter(observed) == Counter({"certificate.issued.v1": issued,
                                                      "certificate.revoked.v1": revoked}))

        await eventually(all_consumed_and_announced, timeout=60)
        rows = await pool.fetch("SELECT enrollment_id, status FROM certificates")
        statuses = {r["enrollment_id"]: r["status"] for r in rows}
        assert statuses[duplicated.enrollment_id] == "valid"
        assert [r["status"] for r in rows
                if r["enrollment_id"] == duplicated.enrollment_id] == ["valid"]
        for fails_last in (late_pass, corrected):  # issued for v1 and revoked, or never issued
            assert statuses.get(fails_last.enrollment_id, "none") in ("revoked", "none")
        assert failing.enrollment_id not in statuses
        versions = dict(await pool.fetch("SELECT enrollment_id, result_version FROM results"))
        assert versions[late_pass.enrollment_id] == versions[corrected.enrollment_id] == 2
        assert await transport.message_count(f"{namespace}.certification.error") == 0
    finally:
        await transport.close()
