"""Ending a staff account's tokens on all three services: enrollment announces the change
through its outbox and real RabbitMQ, certification and notification keep it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.certification.app import create_app as certification_app
from services.notification.app import create_app as notification_app
from shared.auth import TokenIssuer
from shared.web.keys import CONSUMER
from tests.certification.factories import settings_for as certification_settings
from tests.enrollment.support import START, Service, running_service, write_keys
from tests.enrollment.support import settings_for as enrollment_settings
from tests.notification.conftest import settings_for as notification_settings
from tests.notification.harness import SHANGHAI_DAY
from tests.support.clock import FakeClock
from tests.support.infra import create_database, drop_database, eventually, service_migrations

Client = TestClient[Any, Any]


@dataclass
class Platform:
    """The three services on one exchange: enrollment over HTTP, the others as test clients."""

    enrollment: Service
    certification: Client
    notification: Client

    async def refusals(self, token: str) -> list[str | None]:
        """Return each service's problem code for a request with this token (None: served)."""
        headers = {"Authorization": f"Bearer {token}"}
        enrollment = await self.enrollment.call("GET", "/api/v1/me", token=token)
        codes = [None if enrollment.status == 200 else enrollment.body["code"]]
        for client, path in ((self.certification, "/api/v1/me/certificates"),
                             (self.notification, "/api/v1/notifications/stats")):
            async with client.get(path, headers=headers) as reply:
                codes.append(None if reply.status == 200 else (await reply.json())["code"])
        return codes


@pytest.fixture
async def platform(
    namespace: str, key_files: Path, issuer: TokenIssuer, tmp_path: Path, aiohttp_client: Any,
) -> AsyncIterator[Platform]:
    """Start certification and notification consuming, then enrollment with its relay."""
    write_keys(key_files)
    cert_keys = tmp_path / "certification"
    cert_keys.mkdir()
    shutil.copy(key_files / "jwt-signing.pub.pem", cert_keys / "jwt-signing.pub.pem")
    dsns = {name: await create_database(f"jx_{name[:4]}", [service_migrations(name)])
            for name in ("enrollment", "certification", "notification")}
    try:
        cert = certification_app(certification_settings(
            dsns["certification"], namespace, cert_keys, run_consumers=True))
        noti = notification_app(notification_settings(dsns["notification"], namespace, key_files),
                                clock=FakeClock(SHANGHAI_DAY, flowing=True))
        clients = [await aiohttp_client(cert), await aiohttp_client(noti)]
        for app in (cert, noti):  # their queues exist before enrollment publishes
            await eventually(app[CONSUMER].is_consuming)
        settings = enrollment_settings(dsns["enrollment"], namespace, key_files, run_relay=True,
                                       relay_poll_interval_s=0.1)
        async with running_service(settings, clock=FakeClock(START), issuer=issuer,
                                   keys=key_files) as enrollment:
            yield Platform(enrollment, *clients)
            for client in clients:
                await client.close()
    finally:
        for dsn in dsns.values():
            await drop_database(dsn)


async def test_a_disabled_admins_token_is_refused_by_all_three_services(
    platform: Platform,
) -> None:
    enrollment = platform.enrollment
    _acting_id, acting = await enrollment.add_user("admin", name="Acting")
    admin_id, token = await enrollment.add_user("admin", name="Leaving")
    assert await platform.refusals(token) == [None, None, None]
    disabled = await enrollment.call("POST", f"/api/v1/users/{admin_id}/disable", token=acting)
    assert disabled.status == 200

    async def refused_everywhere() -> bool:
        return await platform.refusals(token) == ["token_revoked"] * 3

    await eventually(refused_everywhere, timeout=30)
    assert await platform.refusals(acting) == [None, None, None]


async def test_a_token_living_longer_than_the_maximum_is_refused_by_all_three_services(
    platform: Platform,
) -> None:
    admin_id, _ = await platform.enrollment.add_user("admin", name="Admin")
    day = platform.enrollment.issuer.mint(admin_id, "admin", ttl_s=24 * 3600)
    assert await platform.refusals(day) == [None, None, None]
    longer = platform.enrollment.issuer.mint(admin_id, "admin", ttl_s=24 * 3600 + 1)
    assert await platform.refusals(longer) == ["token_lifetime_too_long"] * 3


async def test_role_and_password_changes_end_old_tokens_everywhere_and_new_sign_ins_work(
    platform: Platform,
) -> None:
    enrollment = platform.enrollment
    _acting_id, acting = await enrollment.add_user("admin", name="Acting")
    phone, password = "+8613700137000", "correct horse battery"
    created = await enrollment.call("POST", "/api/v1/users", token=acting, json_body={
        "role": "trainer", "phone": phone, "name": "李老师", "password": password})
    user_id = created.body["id"]

    async def sign_in(secret: str) -> str:
        reply = await enrollment.call("POST", "/api/v1/auth/token",
                                      json_body={"phone": phone, "password": secret})
        assert reply.status == 200, reply.body
        return str(reply.body["access_token"])

    async def refused_everywhere(token: str) -> None:
        async def check() -> bool:
            return await platform.refusals(token) == ["token_revoked"] * 3

        await eventually(check, timeout=30)

    as_trainer = await sign_in(password)
    promoted = await enrollment.call("PUT", f"/api/v1/users/{user_id}/role", token=acting,
                                     json_body={"role": "admin"})
    assert promoted.status == 200
    await refused_everywhere(as_trainer)
    as_admin = await sign_in(password)
    assert await platform.refusals(as_admin) == [None, None, None]  # notification: admins only
    changed = await enrollment.call("POST", "/api/v1/auth/password", json_body={
        "phone": phone, "password": password, "new_password": "another long password"})
    assert changed.status == 200
    await refused_everywhere(as_admin)
    assert await platform.refusals(await sign_in("another long password")) == [None, None, None]
