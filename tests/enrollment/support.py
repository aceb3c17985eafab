"""Run the enrollment service on a real port and drive it over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import aiohttp
import asyncpg
from aiohttp import web
from cryptography.fernet import Fernet

from services.enrollment.app import create_app
from services.enrollment.config import Settings
from services.enrollment.deps import Deps
from services.enrollment.keys import DEPS
from shared.auth import Role, TokenIssuer
from shared.ids import new_id
from tests.support.clock import FakeClock

START = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday


def write_keys(directory: Path) -> None:
    """Add the two Fernet keys the service reads to a key directory (idempotent)."""
    for name in ("pii-transport.key", "pii-at-rest.key"):
        path = directory / name
        if not path.exists():
            path.write_bytes(Fernet.generate_key())


def phone_of(i: int) -> str:
    """Return a valid mainland mobile number in E.164, distinct per i."""
    return f"+86138{i:08d}"


@dataclass
class Reply:
    """An HTTP answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = ""


@dataclass
class Service:
    """A running enrollment service and helpers to talk to it."""

    url: str
    http: aiohttp.ClientSession
    pool: asyncpg.Pool
    clock: FakeClock
    issuer: TokenIssuer
    keys: Path
    app: web.Application
    counter: int = 0

    @property
    def deps(self) -> Deps:
        """Return the running service's dependencies (to run its jobs by hand)."""
        return self.app[DEPS]

    async def add_trainees(self, count: int, *, prefix: str = "学员") -> list[tuple[UUID, str]]:
        """Insert many signed-up trainees at once; return (id, token) pairs."""
        base = 20_000_000 + (self.counter + 1) * 100_000
        self.counter += count // 100_000 + 1
        ids = [new_id() for _ in range(count)]
        await self.pool.execute(
            """INSERT INTO users (id, role, phone, name, claimed_at, created_at, updated_at)
               SELECT i, 'trainee', p, n, $4, $4, $4
               FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(i, p, n)""",
            ids, [phone_of(base + k) for k in range(count)],
            [f"{prefix}{k}" for k in range(count)], self.clock.now(),
        )
        return [(i, self.token(i, "trainee", f"{prefix}{k}")) for k, i in enumerate(ids)]

    async def call(
        self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
        data: Any = None, headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send a request; decode JSON bodies."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url + path, json=json_body, data=data,
                                     headers=sent) as resp:
            raw = await resp.read()
            body: Any = raw
            if "json" in resp.content_type and raw:
                body = json.loads(raw)
            return Reply(resp.status, body, dict(resp.headers), resp.content_type)

    def token(self, user_id: UUID, role: Role, name: str = "") -> str:
        """Mint an access token."""
        return self.issuer.mint(user_id, role, name=name)

    async def add_user(
        self, role: Role = "trainee", *, name: str = "Test Trainee", union_member: bool = False,
        phone: str | None = None,
    ) -> tuple[UUID, str]:
        """Insert a signed-up user straight into the database; return (id, token)."""
        self.counter += 1
        user_id = new_id()
        await self.pool.execute(
            """INSERT INTO users (id, role, phone, name, union_member, claimed_at, created_at,
                                  updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6)""",
            user_id, role, phone or phone_of(90_000_000 + self.counter),
            name, union_member, self.clock.now(),
        )
        return user_id, self.token(user_id, role, name)

    async def admin_token(self) -> str:
        """Return a token of a (new) administrator."""
        return (await self.add_user("admin", name="Admin"))[1]

    async def create_course(self, admin: str, **fields: Any) -> dict[str, Any]:
        """Publish a course through the API."""
        self.counter += 1
        body = {"code": f"C{self.counter:04d}", "title_zh": "直播销售员", "title_en": "Livestream",
                "category": "ecommerce", "level": 4, "required_hours": 40, **fields}
        reply = await self.call("POST", "/api/v1/courses", token=admin, json_body=body)
        assert reply.status == 201, reply.body
        return reply.body  # type: ignore[no-any-return]

    async def create_class(self, admin: str, **fields: Any) -> dict[str, Any]:
        """Schedule a class (a week from now, five days) through the API."""
        if "course_id" not in fields:
            fields["course_id"] = (await self.create_course(admin))["id"]
        start = self.clock.now().date() + timedelta(days=7)
        body = {"capacity": 30, "starts_on": start.isoformat(),
                "ends_on": (start + timedelta(days=4)).isoformat(), "venue": "工人文化宫 301",
                **fields}
        reply = await self.call("POST", "/api/v1/classes", token=admin, json_body=body)
        assert reply.status == 201, reply.body
        return reply.body  # type: ignore[no-any-return]

    async def enrol(self, token: str, class_id: str, key: str | None = None) -> Reply:
        """Enrol the token's trainee."""
        headers = {"Idempotency-Key": key} if key else None
        return await self.call("POST", "/api/v1/enrollments", token=token,
                               json_body={"class_id": class_id}, headers=headers)

    async def events(self, aggregate: str | UUID | None = None) -> list[dict[str, Any]]:
        """Return envelopes written to the outbox (of one aggregate), in insertion order."""
        rows = await self.pool.fetch(
            "SELECT body FROM outbox WHERE $1::text IS NULL OR aggregate_id = $1 ORDER BY id",
            None if aggregate is None else str(aggregate),
        )
        return [json.loads(r["body"]) for r in rows]

    async def status_of(self, enrollment_id: str) -> tuple[str, int | None]:
        """Return (status, waitlist position) of an enrolment as the API shows it."""
        row = await self.pool.fetchrow(
            """SELECT e.status, CASE WHEN e.status = 'waitlisted' THEN (
                   SELECT count(*) FROM enrollments w WHERE w.class_id = e.class_id
                   AND w.status = 'waitlisted' AND w.booking_no <= e.booking_no) END AS pos
               FROM enrollments e WHERE e.id = $1""",
            UUID(enrollment_id),
        )
        assert row is not None
        return row["status"], row["pos"]


def settings_for(dsn: str, namespace: str, keys: Path, **extra: Any) -> Settings:
    """Return settings on a unique database and namespace, with the test keys."""
    values: dict[str, Any] = {
        "database_url": dsn, "namespace": namespace,
        "jwt_public_key_file": keys / "jwt-signing.pub.pem",
        "jwt_private_key_file": keys / "jwt-signing.pem",
        "pii_transport_key_file": keys / "pii-transport.key",
        "pii_at_rest_key_file": keys / "pii-at-rest.key",
        "run_relay": False, "run_consumers": False, "run_jobs": False,
        "db_pool_max": 10,
        # Every test's requests come from 127.0.0.1: tests of this limit set their own.
        "otp_per_ip": 100_000,
    }
    values.update(extra)
    return Settings(**values)


@asynccontextmanager
async def running_service(
    settings: Settings, *, clock: FakeClock, issuer: TokenIssuer, keys: Path
) -> AsyncIterator[Service]:
    """Serve the app on a free port of 127.0.0.1; yield a client for it."""
    app = create_app(settings, clock=clock)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            yield Service(f"http://{host}:{port}", http, pool, clock, issuer, keys, app)
    finally:
        await pool.close()
        await runner.cleanup()


def today_plus(clock: FakeClock, days: int) -> date:
    """Return a date relative to the fake clock's UTC date."""
    return clock.now().date() + timedelta(days=days)
