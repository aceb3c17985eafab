"""The three services in-process on real PostgreSQL and RabbitMQ, seeded for the access matrix.

One namespace and three fresh databases. Enrollment runs its relay; certification and
notification consume, so the certificate, the class's trainers and the disabled account reach
them the way they do in production: as events over the broker. Every object a path names
(class, enrolment, certificate, application, survey) belongs to the matrix's `trainee` and is
taught by its `class_trainer`.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.certification.app import create_app as certification_app
from services.enrollment.app import create_app as enrollment_app
from services.enrollment.handlers.surveys import invite_completed
from services.enrollment.keys import DEPS
from services.notification.app import create_app as notification_app
from services.notification.config import Settings as NotificationSettings
from shared.auth import Role, TokenIssuer
from shared.ids import new_id
from shared.web.keys import CONSUMER, POOL, SETTINGS
from tests.certification.factories import settings_for as certification_settings
from tests.conftest import _DECLARED, SESSION_PREFIX
from tests.enrollment.support import START, phone_of, write_keys
from tests.enrollment.support import settings_for as enrollment_settings
from tests.security.tokens import forged_tokens, header
from tests.support.clock import FakeClock
from tests.support.infra import (
    create_database,
    delete_queues,
    drop_database,
    eventually,
    service_migrations,
)

SERVICES = ("enrollment", "certification", "notification")
RECEIPT_TOKEN = "receipt-token-of-the-access-matrix"
STAFF_PASSWORD = "correct horse battery staple"
# Signed-in principals and their role; `disabled_user` is an administrator disabled below.
SIGNED_IN: dict[str, Role] = {
    "trainee": "trainee", "other_trainee": "trainee", "class_trainer": "trainer",
    "other_trainer": "trainer", "examiner": "examiner", "admin": "admin",
}


@dataclass
class Reply:
    """One answer: status, content type and the decoded problem body (if it is one)."""

    status: int
    content_type: str
    body: Any


@dataclass
class World:
    """The running services, every principal's Authorization header and the seeded ids."""

    clients: dict[str, TestClient[Any, Any]]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, UUID] = field(default_factory=dict)

    def app(self, service: str) -> web.Application:
        """Return a service's application."""
        return self.clients[service].app  # type: ignore[no-any-return]

    async def call(self, service: str, method: str, path: str, *, principal: str,
                   json: Any = None, data: bytes | None = None,
                   content_type: str | None = None, query: dict[str, str] | None = None,
                   ) -> Reply:
        """Send one request as a principal; decode JSON answers."""
        headers = dict(self.headers[principal])
        if content_type:
            headers["Content-Type"] = content_type
        async with self.clients[service].request(method, path, json=json, data=data,
                                                 params=query, headers=headers) as resp:
            raw = await resp.read()
            body: Any = raw
            if resp.content_type.endswith("json") and raw:
                body = await resp.json(content_type=None)
            return Reply(resp.status, resp.content_type, body)


@asynccontextmanager
async def running_world(key_files: Path, issuer: TokenIssuer) -> AsyncIterator[World]:
    """Start the three services on fresh databases and one namespace; seed them."""
    namespace = f"{SESSION_PREFIX}-acl{new_id().hex[-10:]}"
    keys = _keys(key_files)
    stack = AsyncExitStack()
    dsns: list[str] = []
    try:
        for name in SERVICES:
            dsns.append(await create_database(f"jx_acl_{name[:4]}", [service_migrations(name)]))
        clock = FakeClock(START)
        clients = {}
        # The consumers first: their queues must exist before enrollment's relay publishes.
        for name, app in [
            ("certification", certification_app(certification_settings(
                dsns[1], namespace, keys, run_consumers=True))),
            ("notification", notification_app(_notification_settings(dsns[2], namespace, keys))),
            ("enrollment", enrollment_app(enrollment_settings(
                dsns[0], namespace, keys, run_relay=True, relay_poll_interval_s=0.1),
                clock=clock)),
        ]:
            clients[name] = await stack.enter_async_context(TestClient(TestServer(app)))
            if CONSUMER in app:
                await eventually(app[CONSUMER].is_consuming, timeout=30)
        world = World(clients)
        await _seed(world, issuer, clock)
        yield world
    finally:
        await stack.aclose()
        queues = _DECLARED.pop(namespace, set())
        await delete_queues(sorted(queues), exchange=f"{namespace}.events")
        for dsn in dsns:
            await drop_database(dsn)


def _keys(key_files: Path) -> Path:
    """A private key folder: the suite's JWT pair, the PII keys, room for a signing secret."""
    write_keys(key_files)
    folder = key_files.parent / f"acl-{new_id().hex[-8:]}"
    folder.mkdir()
    for name in ("jwt-signing.pem", "jwt-signing.pub.pem", "pii-transport.key",
                 "pii-at-rest.key"):
        shutil.copy(key_files / name, folder / name)
    return folder


def _notification_settings(dsn: str, namespace: str, keys: Path) -> NotificationSettings:
    return NotificationSettings(
        database_url=dsn, namespace=namespace, jwt_public_key_file=keys / "jwt-signing.pub.pem",
        receipt_token=RECEIPT_TOKEN, run_relay=False, run_dispatcher=False, db_pool_max=4,
    )


async def _seed(world: World, issuer: TokenIssuer, clock: FakeClock) -> None:
    """Users, a finished class with its trainee's result released, a lottery application."""
    for name, role in SIGNED_IN.items():
        world.ids[name] = await _insert_user(world, role, name, clock)
        world.headers[name] = header(issuer.mint(world.ids[name], role, name=name))
    world.ids["bystander"] = await _insert_user(world, "trainee", "bystander", clock)
    world.headers["anonymous"] = {}
    world.headers.update({name: header(token) for name, token in forged_tokens(
        issuer, world.ids["admin"], max_lifetime_s=_max_lifetime(world)).items()})
    await _disable_an_administrator(world)
    cls = await _finished_class(world, clock)
    await _wait_for_certificate(world)
    world.params = _params(world, cls)


async def _insert_user(world: World, role: Role, name: str, clock: FakeClock) -> UUID:
    user_id = new_id()
    await world.app("enrollment")[POOL].execute(
        """INSERT INTO users (id, role, phone, name, claimed_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $5, $5)""",
        user_id, role, phone_of(60_000_000 + len(world.ids)), name, clock.now())
    return user_id


def _max_lifetime(world: World) -> int:
    return max(world.app(name)[SETTINGS].max_token_lifetime_s for name in SERVICES)


async def _ok(world: World, method: str, path: str, principal: str, json: Any = None,
              status: int = 200) -> Any:
    reply = await world.call("enrollment", method, path, principal=principal, json=json)
    assert reply.status == status, (method, path, reply.status, reply.body)
    return reply.body


PROBES = {"enrollment": "/api/v1/me", "certification": "/api/v1/me/certificates",
          "notification": "/api/v1/me/preferences"}


async def _disable_an_administrator(world: World) -> None:
    """An administrator created, signed in and then disabled through the staff lifecycle."""
    phone = phone_of(61_000_000)
    created = await _ok(world, "POST", "/api/v1/users", "admin", {
        "role": "admin", "phone": phone, "name": "停用管理员", "password": STAFF_PASSWORD},
        status=201)
    user_id = world.ids["disabled_user"] = UUID(created["id"])
    token = (await _ok(world, "POST", "/api/v1/auth/token", "anonymous",
                       {"phone": phone, "password": STAFF_PASSWORD}))["access_token"]
    world.headers["disabled_user"] = header(token)
    for service, path in PROBES.items():  # the token works everywhere before
        reply = await world.call(service, "GET", path, principal="disabled_user")
        assert reply.status == 200, (service, reply.body)
    await _ok(world, "POST", f"/api/v1/users/{user_id}/disable", "admin")
    await _wait_for_revocation(world, user_id)


async def _wait_for_revocation(world: World, user_id: UUID) -> None:
    """Wait until user.access_changed reached every service and each re-read its list."""
    for service in ("certification", "notification"):
        pool = world.app(service)[POOL]

        async def recorded(pool: asyncpg.Pool = pool) -> bool:
            return bool(await pool.fetchval(
                "SELECT disabled FROM user_access WHERE user_id = $1", user_id))

        await eventually(recorded, timeout=30)
    for service, path in PROBES.items():

        async def refused(service: str = service, path: str = path) -> bool:
            reply = await world.call(service, "GET", path, principal="disabled_user")
            return reply.status == 401

        # The list is re-read on the table's NOTIFY just after the commit, and every 15 s
        # anyway. A service that still serves the token is the matrix's to report.
        with suppress(AssertionError):
            await eventually(refused, timeout=20)


async def _finished_class(world: World, clock: FakeClock) -> dict[str, Any]:
    """A one-day class taught by `class_trainer`: `trainee` enrolled, attended, passed."""
    course = await _ok(world, "POST", "/api/v1/courses", "admin", {
        "code": "ACL-01", "title_zh": "育婴员", "title_en": "Childcare", "category": "care",
        "level": 4, "required_hours": 6, "issue_policy": "approval"}, status=201)
    start = clock.now().date() + timedelta(days=7)
    cls = await _ok(world, "POST", "/api/v1/classes", "admin", {
        "course_id": course["id"], "capacity": 10, "starts_on": start.isoformat(),
        "ends_on": start.isoformat(), "venue": "南昌市总工会培训中心",
        "trainer_ids": [str(world.ids["class_trainer"])]}, status=201)
    lottery = await _ok(world, "POST", "/api/v1/classes", "admin", {
        "course_id": course["id"], "capacity": 10, "starts_on": start.isoformat(),
        "ends_on": start.isoformat(), "venue": "南昌市总工会培训中心"}, status=201)
    await _ok(world, "PUT", f"/api/v1/classes/{lottery['id']}/allocation", "admin",
              {"mode": "lottery"})
    application = await _ok(world, "POST", f"/api/v1/classes/{lottery['id']}/applications",
                            "trainee", {}, status=201)
    enrolment = await _ok(world, "POST", "/api/v1/enrollments", "trainee",
                          {"class_id": cls["id"]}, status=201)
    day = date.fromisoformat(cls["schedule_days"][-1])
    clock.set(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10))
    await _ok(world, "PUT", f"/api/v1/classes/{cls['id']}/attendance/{day}", "class_trainer",
              {"records": [{"enrollment_id": enrolment["id"], "status": "present"}]})
    await _ok(world, "PUT", f"/api/v1/enrollments/{enrolment['id']}/result", "class_trainer",
              {"theory_score": 90, "practical_score": 88})
    await _ok(world, "POST", f"/api/v1/classes/{cls['id']}/release-results", "class_trainer")
    assert await invite_completed(deps=world.app("enrollment")[DEPS]) == 1  # the survey job
    surveys = await _ok(world, "GET", "/api/v1/me/surveys", "trainee")
    return {"class": cls, "course": course, "enrolment": enrolment, "day": day,
            "application": application, "lottery": lottery, "surveys": surveys}


async def _wait_for_certificate(world: World) -> None:
    """Wait until certification turned the released result into a (pending) certificate."""
    pool = world.app("certification")[POOL]

    async def issued() -> bool:
        world.ids["certificate"] = await pool.fetchval(
            "SELECT id FROM certificates WHERE holder_user_id = $1", world.ids["trainee"])
        return world.ids["certificate"] is not None

    await eventually(issued, timeout=30)


def _params(world: World, seeded: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The value of every path parameter, per service: objects of `trainee`'s."""
    surveys = seeded["surveys"]["items"]
    return {
        "enrollment": {
            "class_id": seeded["class"]["id"], "course_id": seeded["course"]["id"],
            "enrollment_id": seeded["enrolment"]["id"],
            "application_id": seeded["application"]["id"],
            "lottery_class_id": seeded["lottery"]["id"],
            "user_id": str(world.ids["bystander"]), "date": seeded["day"].isoformat(),
            "no": "1", "file": "roster.xlsx",
            # 09:05 in Shanghai, in the class day's first session
            "checked_in_at": f"{seeded['day'].isoformat()}T01:05:00Z",
            "code": surveys[0]["code"],
        },
        "certification": {
            "certificate_id": str(world.ids["certificate"]), "class_id": seeded["class"]["id"],
            "enrollment_id": seeded["enrolment"]["id"], "code": "JX-NO-SUCH-CODE",
            "list_id": "1",
        },
        "notification": {"token": "not-an-unsubscribe-token"},
    }
