"""A service built by create_service_app: migrations at start-up, readiness, ops endpoint."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from shared.auth import TokenIssuer, TokenVerifier
from shared.config import ServiceSettings
from shared.db import drop_database
from shared.ids import new_id
from shared.messaging.rabbit import RabbitTransport
from shared.service import Overrides, create_service_app, topology_for
from shared.web.api import ApiRoutes
from tests.messaging.harness import Behaviour, build_subscriptions, no_revocations
from tests.support.infra import AMQP_URL, PG_BASE, eventually, unique_name


class RuntimeSettings(ServiceSettings):
    service_name = "runtime"


async def test_service_migrates_becomes_ready_and_reports_its_queues(
    aiohttp_client: AiohttpClient,
    namespace: str,
    key_files: Path,
    verifier: TokenVerifier,
    issuer: TokenIssuer,
    tmp_path: Path,
) -> None:
    (tmp_path / "0001_things.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);")
    dsn = f"{PG_BASE}/{unique_name('jx_runtime')}"
    settings = RuntimeSettings(
        database_url=dsn,
        namespace=namespace,
        amqp_url=AMQP_URL,
        jwt_public_key_file=key_files / "jwt-signing.pub.pem",
    )
    app = create_service_app(
        settings,
        routes=ApiRoutes(),
        subscriptions=build_subscriptions(Behaviour()),
        migrations=tmp_path,
        title="runtime",
        overrides=Overrides(verifier=verifier),
        access_loader=no_revocations,
    )
    try:
        client: TestClient[web.Request, web.Application] = await aiohttp_client(app)

        async def ready() -> bool:
            return (await client.get("/readyz")).status == 200

        await eventually(ready)
        checks = (await (await client.get("/readyz")).json())["checks"]
        assert checks == {"database": True, "broker": True, "consumer": True}
        admin = {"Authorization": f"Bearer {issuer.mint(new_id(), 'admin')}"}
        ops = await client.get("/api/v1/ops/runtime/queues", headers=admin)
        assert ops.status == 200
        body = await ops.json()
        names = {q["name"]: q["messages"] for q in body["queues"]}
        assert names[f"{namespace}.runtime"] == 0
        assert f"{namespace}.runtime.error" in names
        assert body["outbox"] == {"pending": 0, "parked": 0, "oldest_age_s": 0.0}
        trainee = {"Authorization": f"Bearer {issuer.mint(new_id(), 'trainee')}"}
        assert (await client.get("/api/v1/ops/runtime/queues", headers=trainee)).status == 403
        doc = await (await client.get("/openapi.json")).json()
        assert "/api/v1/ops/runtime/queues" in doc["paths"]
        await client.close()
    finally:
        await drop_database(dsn)


async def test_an_http_only_instance_is_ready_without_a_consumer_and_still_reports_its_queues(
    aiohttp_client: AiohttpClient,
    namespace: str,
    key_files: Path,
    verifier: TokenVerifier,
    issuer: TokenIssuer,
    pg_dsn: str,
    rabbit: RabbitTransport,
    tmp_path: Path,
) -> None:
    # Kubernetes runs each service as HTTP pods (consumers off) beside worker pods.
    settings = RuntimeSettings(
        database_url=pg_dsn, namespace=namespace, amqp_url=AMQP_URL, run_consumers=False,
        jwt_public_key_file=key_files / "jwt-signing.pub.pem",
    )
    subscriptions = build_subscriptions(Behaviour())
    await rabbit.declare(topology_for(settings, subscriptions))  # as a worker pod would
    app = create_service_app(settings, routes=ApiRoutes(), subscriptions=subscriptions,
                             migrations=tmp_path, title="runtime",
                             overrides=Overrides(verifier=verifier),
                             access_loader=no_revocations)
    client: TestClient[web.Request, web.Application] = await aiohttp_client(app)

    async def ready() -> bool:
        return (await client.get("/readyz")).status == 200

    await eventually(ready)
    assert (await (await client.get("/readyz")).json())["checks"] == {
        "database": True, "broker": True}
    admin = {"Authorization": f"Bearer {issuer.mint(new_id(), 'admin')}"}
    body = await (await client.get("/api/v1/ops/runtime/queues", headers=admin)).json()
    names = {q["name"]: q["messages"] for q in body["queues"]}
    assert names[f"{namespace}.runtime"] == 0
    assert names[f"{namespace}.runtime.retry.1"] == 0
