"""Broker and database outages: nothing lost, nothing doubled, recovery within a bound.

These stop or disturb the test servers (see tests/support/faults.py) and always bring them back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import BaseModel
from pytest_aiohttp import AiohttpClient

from shared.auth import TokenVerifier
from shared.config import ServiceSettings
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.subscriptions import Subscriptions
from shared.service import Overrides, create_service_app
from shared.web.api import ApiRequest, ApiRoutes
from shared.web.keys import TRANSPORT, UOW
from tests.messaging.harness import ThingHappened, no_revocations, pipeline
from tests.support.faults import (
    broker_stopped,
    close_all_connections,
    database_stopped,
    rabbitmqctl,
)
from tests.support.infra import AMQP_URL, eventually

pytestmark = pytest.mark.faults


async def _consumers_on(queue: str) -> int:
    out = await rabbitmqctl("list_queues", "name", "consumers", "--quiet", "--no-table-headers")
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == queue:
            return int(fields[1])
    return 0


async def test_broker_down_while_producers_commit_then_backlog_drains_once(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        p.start_relay(poll_interval_s=0.2)
        await p.start_consumer()
        await p.emit(*(ThingHappened(thing_id=f"before{i}") for i in range(50)))

        async def first_batch() -> bool:
            return await p.effects() == 50

        await eventually(first_batch)
        async with broker_stopped():
            # Producers keep committing: only the outbox is written, the broker is not needed.
            await p.emit(*(ThingHappened(thing_id=f"during{i % 10}", n=i) for i in range(200)))
            assert await p.pending() == 200

        async def consuming_again() -> bool:
            return await _consumers_on(p.topology.queue) >= 1

        await eventually(consuming_again, timeout=10)  # messaging.md: back within 10 s

        async def drained() -> bool:
            return await p.effects() == 250 and await p.pending() == 0

        await eventually(drained, timeout=60)
        assert set((await p.effects_per_message()).values()) == {1}


async def test_forced_connection_close_during_traffic_loses_and_doubles_nothing(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        p.start_relay(batch_size=50)
        await p.start_consumer(prefetch=16)
        await p.emit(*(ThingHappened(thing_id=f"f{i % 25}", n=i) for i in range(1500)))

        async def under_way() -> bool:
            return await p.effects() >= 100

        await eventually(under_way, timeout=30)
        await close_all_connections()

        async def consuming_again() -> bool:
            return await _consumers_on(p.topology.queue) >= 1

        await eventually(consuming_again, timeout=10)

        async def all_done() -> bool:
            return await p.effects() == 1500 and await p.pending() == 0

        await eventually(all_done, timeout=90)
        assert set((await p.effects_per_message()).values()) == {1}
        assert await rabbit.message_count(p.topology.error_queue) == 0


async def test_consumer_holds_messages_while_its_database_is_down(
    pg_dsn: str, rabbit: RabbitTransport, namespace: str
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        envelopes = [p.writer.envelope(ThingHappened(thing_id=f"h{i}", n=i)) for i in range(20)]
        await p.start_consumer()
        from tests.messaging.test_contract import _message

        async with database_stopped():
            for env in envelopes:
                await rabbit.publish(_message(env), routing_key=env.routing_key)

            async def delivered_not_acked() -> bool:
                out = await rabbitmqctl(
                    "list_queues",
                    "name",
                    "messages_unacknowledged",
                    "--quiet",
                    "--no-table-headers",
                )
                return f"{p.topology.queue}\t20" in out or f"{p.topology.queue} 20" in out

            await eventually(delivered_not_acked, timeout=20)
            assert await rabbit.message_count(p.topology.error_queue) == 0

        async def all_done() -> bool:
            return await p.effects() == 20

        await eventually(all_done, timeout=60)
        assert set((await p.effects_per_message()).values()) == {1}
        assert await rabbit.message_count(p.topology.error_queue) == 0
        assert await rabbit.message_count(p.topology.retry_queue(1)) == 0


class _Thing(BaseModel):
    thing_id: str


class _TestSettings(ServiceSettings):
    service_name = "faulttest"


@pytest.fixture
async def producer_app(
    pg_dsn: str,
    namespace: str,
    key_files: Path,
    verifier: TokenVerifier,
    aiohttp_client: AiohttpClient,
) -> TestClient[web.Request, web.Application]:
    routes = ApiRoutes()

    @routes.post("/things", body=_Thing, status=201)
    async def create(req: ApiRequest[_Thing, None]) -> _Thing:
        async with req.app[UOW]() as uow:
            await uow.conn.execute(
                "INSERT INTO effects (message_id, thing_id, n) VALUES (gen_random_uuid(), $1, 0)",
                req.body.thing_id,
            )
            await uow.publish(ThingHappened(thing_id=req.body.thing_id))
        return req.body

    settings = _TestSettings(
        database_url=pg_dsn,
        namespace=namespace,
        amqp_url=AMQP_URL,
        migrate_on_start=False,
        jwt_public_key_file=key_files / "jwt-signing.pub.pem",
        relay_poll_interval_s=0.2,
    )
    app = create_service_app(
        settings,
        routes=routes,
        subscriptions=Subscriptions(),
        migrations=Path(__file__).parent / "no_migrations",
        title="t",
        access_loader=no_revocations,
        overrides=Overrides(verifier=verifier),
    )
    return await aiohttp_client(app)


async def test_http_write_gives_503_and_publishes_nothing_while_the_database_is_down(
    pg_dsn: str,
    rabbit: RabbitTransport,
    namespace: str,
    producer_app: TestClient[web.Request, web.Application],
) -> None:
    async with pipeline(pg_dsn, rabbit, namespace) as p:
        await p.start_consumer()
        transport = producer_app.app[TRANSPORT]

        async def connected() -> bool:
            return await transport.is_connected()

        await eventually(connected, timeout=60)
        async with database_stopped():
            response = await producer_app.post("/things", json={"thing_id": "lost?"})
            assert response.status == 503
            assert response.content_type == "application/problem+json"
            assert (await response.json())["code"] == "database_unavailable"
            ready = await producer_app.get("/readyz")
            assert ready.status == 503
        response = await producer_app.post("/things", json={"thing_id": "after"})
        assert response.status == 201

        async def handled() -> bool:
            rows = await p.pool.fetch("SELECT thing_id FROM effects WHERE n = 0")
            return [r["thing_id"] for r in rows].count("after") == 2  # the write + the effect

        await eventually(handled, timeout=90)
        assert await p.pool.fetchval("SELECT count(*) FROM effects WHERE thing_id = 'lost?'") == 0
        assert await p.pool.fetchval("SELECT count(*) FROM outbox") == 1
