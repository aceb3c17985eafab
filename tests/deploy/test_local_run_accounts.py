"""`make run`'s supervisor with each service logging in as its own database role and broker user
(made by `jiangxin migrate` with the admin URL and `jiangxin broker-users`), as Compose does: the
services start, report ready, and an event still goes from enrollment to notification."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest

from services import SERVICE_NAMES
from shared.db import database_name, drop_database
from tests.deploy.manifests import REPO
from tests.integration.test_broker_users import rabbitmqctl
from tests.support.http import cli
from tests.support.infra import AMQP_URL, PG_BASE, eventually, unique_name
from tests.support.log_guard import remember_delivered
from tests.support.platform import READY_LINE, start_run
from tests.support.platform import databases as databases  # the fixture

pytestmark = pytest.mark.e2e
SERVER = urlsplit(PG_BASE).netloc.rsplit("@", 1)[-1]
BROKER = AMQP_URL.rsplit("@", 1)[-1]


@pytest.fixture
async def accounts(databases: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """Each service's own database and broker URL (unique role and user names); the databases,
    roles and users go afterwards."""
    names = {service: unique_name(f"jxacct_{service[:5]}") for service in SERVICE_NAMES}
    env = {}
    for service, name in names.items():
        database = database_name(databases[service])
        env[f"JIANGXIN_{service.upper()}_DATABASE_URL"] = f"postgresql://{name}:pw@{SERVER}/{database}"
        env[f"JIANGXIN_{service.upper()}_AMQP_URL"] = f"amqp://{name}:pw@{BROKER}"
    yield env
    await remember_delivered(databases["notification"])
    for url in databases.values():
        await drop_database(url)
    admin = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        for name in names.values():
            await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await admin.close()
    existing = await rabbitmqctl().users()
    for name in names.values():
        if name in existing:
            await rabbitmqctl().delete(name)


async def test_the_platform_runs_with_a_database_role_and_broker_user_per_service(
    tmp_path: Path, namespace: str, databases: dict[str, str], accounts: dict[str, str]
) -> None:
    setup = {**os.environ, "PYTHONPATH": str(REPO), "JIANGXIN_NAMESPACE": namespace,
             "JIANGXIN_ADMIN_DATABASE_URL": f"{PG_BASE}/postgres", **accounts}
    for command in (["migrate"], ["broker-users"]):
        code, out = await cli(tmp_path, setup, *command)
        assert code == 0, out
    own_databases = {s: accounts[f"JIANGXIN_{s.upper()}_DATABASE_URL"] for s in SERVICE_NAMES}
    run = await start_run(
        tmp_path, namespace, own_databases,
        JIANGXIN_ENROLLMENT_AMQP_URL=accounts["JIANGXIN_ENROLLMENT_AMQP_URL"],
        JIANGXIN_CERTIFICATION_AMQP_URL=accounts["JIANGXIN_CERTIFICATION_AMQP_URL"],
        JIANGXIN_NOTIFICATION_AMQP_URL=accounts["JIANGXIN_NOTIFICATION_AMQP_URL"],
    )
    try:
        await run.wait_for_line(READY_LINE)
        base = f"http://127.0.0.1:{run.gateway_port}"
        phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
        async with aiohttp.ClientSession() as http:
            for name in SERVICE_NAMES:
                async with http.get(f"{base}/ops/{name}/readyz") as response:
                    checks = (await response.json())["checks"]
                    assert response.status == 200, checks
            async with http.post(f"{base}/api/v1/auth/otp", json={"phone": phone}) as response:
                assert response.status == 202, await response.text()

            async def delivered() -> bool:
                async with http.get(f"{base}/dev/inbox/messages?phone={phone}") as response:
                    body = await response.json()
                    return bool(body if isinstance(body, list) else body["items"])

            await eventually(delivered, timeout=60)
        run.process.send_signal(signal.SIGINT)
        assert await run.finish() == 0
    finally:
        await run.stop_if_running(namespace, tmp_path)
    output = "\n".join(run.lines)
    assert "ACCESS_REFUSED" not in output
    assert "permission denied" not in output
