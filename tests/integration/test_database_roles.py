"""`jiangxin migrate` with JIANGXIN_ADMIN_DATABASE_URL: each service's own plain role owns its
database and everything in it, and no other role may connect to it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.enrollment.app import MIGRATIONS as ENROLLMENT_MIGRATIONS
from shared.db import drop_database
from tests.deploy.manifests import REPO
from tests.support.http import cli
from tests.support.infra import PG_BASE, create_database, unique_name

SERVICES = ("enrollment", "notification")
SERVER = urlsplit(PG_BASE).netloc.rsplit("@", 1)[-1]


@pytest.fixture
async def roles() -> AsyncIterator[dict[str, str]]:
    """Unique role names per service; dropped (with their databases) afterwards."""
    tag = unique_name("jxrole")
    names = {service: f"{tag}_{service}" for service in SERVICES}
    yield names
    admin = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        for role in names.values():
            for (database,) in await admin.fetch(
                "SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = $1", role
            ):
                await drop_database(f"{PG_BASE}/{database}")
            await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await admin.close()


def _url(role: str, database: str) -> str:
    return f"postgresql://{role}:pw-{role[-6:]}@{SERVER}/{database}"


async def _migrate(tmp_path: Path, urls: dict[str, str]) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO),
           "JIANGXIN_ADMIN_DATABASE_URL": f"{PG_BASE}/postgres",
           **{f"JIANGXIN_{s.upper()}_DATABASE_URL": url for s, url in urls.items()}}
    return await cli(tmp_path, env, "migrate", *urls)


async def test_each_service_gets_a_plain_role_owning_its_database_and_nobody_else_gets_in(
    tmp_path: Path, roles: dict[str, str]
) -> None:
    urls = {s: _url(role, f"{role}_db") for s, role in roles.items()}
    code, out = await _migrate(tmp_path, urls)
    assert code == 0, out
    assert f"role created ({roles['enrollment']})" in out
    admin = await asyncpg.connect(f"{PG_BASE}/postgres")
    try:
        for service, role in roles.items():
            flags = await admin.fetchrow(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin "
                "FROM pg_roles WHERE rolname = $1", role)
            assert flags is not None
            assert tuple(flags) == (False, False, False, False, True), service
            owner = await admin.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
                f"{role}_db")
            assert owner == role
    finally:
        await admin.close()
    own = await asyncpg.connect(urls["enrollment"])
    try:
        owners = {r[0] for r in await own.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public'")}
        assert owners == {roles["enrollment"]}
        assert await own.fetchval("SELECT count(*) FROM schema_migrations") > 0
    finally:
        await own.close()
    stranger = urls["enrollment"].replace(roles["enrollment"], roles["notification"], 1)
    stranger = stranger.replace(f"/{roles['notification']}_db", f"/{roles['enrollment']}_db")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(stranger)
    again, out = await _migrate(tmp_path, urls)  # safe to repeat
    assert again == 0, out
    assert f"role kept ({roles['enrollment']})" in out


async def test_a_database_a_superuser_migrated_before_is_handed_over_to_the_service_role(
    tmp_path: Path, roles: dict[str, str]
) -> None:
    old = await create_database(roles["enrollment"], [ENROLLMENT_MIGRATIONS])
    database = urlsplit(old).path.lstrip("/")
    code, out = await _migrate(tmp_path, {"enrollment": _url(roles["enrollment"], database)})
    assert code == 0, out
    assert "database handed over from postgres" in out
    assert "object(s) handed over" in out
    own = await asyncpg.connect(_url(roles["enrollment"], database))
    try:
        owners = {r[0] for r in await own.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public'")}
        assert owners == {roles["enrollment"]}
        await own.execute("DELETE FROM outbox")  # a table it could not touch before
    finally:
        await own.close()


async def test_a_service_configured_with_a_superuser_is_refused(tmp_path: Path) -> None:
    code, out = await _migrate(tmp_path, {"notification": f"{PG_BASE}/{unique_name('jxsu')}"})
    assert code != 0
    assert "is a superuser: give the service a role of its own" in out
