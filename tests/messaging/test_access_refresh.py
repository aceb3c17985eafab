"""The revoked-token list: read before a service serves its first request, kept current after."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from aiohttp import web

from shared.access import AccessList, AccessRefresher, read_user_access
from shared.auth import Principal, TokenVerifier
from shared.errors import Unauthorized
from shared.ids import new_id
from shared.service import Overrides, create_service_app
from shared.web.api import ApiRoutes
from tests.messaging.harness import Behaviour, build_subscriptions
from tests.messaging.test_service_runtime import RuntimeSettings
from tests.support.infra import AMQP_URL, eventually

USER_ACCESS = Path(__file__).parents[2] / "services/certification/migrations/0060_user_access.sql"


def _revoked(access: AccessList, user_id: UUID) -> bool:
    try:
        access.check(Principal(user_id=user_id, role="trainee", version=1))
    except Unauthorized:
        return True
    return False


async def test_a_service_whose_revocations_cannot_be_read_refuses_to_start(
    namespace: str, key_files: Path, verifier: TokenVerifier, pg_dsn: str, tmp_path: Path,
) -> None:
    settings = RuntimeSettings(
        database_url=pg_dsn, namespace=namespace, amqp_url=AMQP_URL, run_consumers=False,
        run_relay=False, jwt_public_key_file=key_files / "jwt-signing.pub.pem",
    )
    app = create_service_app(settings, routes=ApiRoutes(),
                             subscriptions=build_subscriptions(Behaviour()),
                             migrations=tmp_path, title="runtime",  # no user_access table
                             overrides=Overrides(verifier=verifier))
    runner = web.AppRunner(app)
    try:
        with pytest.raises(asyncpg.UndefinedTableError):
            await runner.setup()
    finally:
        await runner.cleanup()


async def test_the_list_holds_the_revocations_once_started_and_follows_later_ones(
    pg_dsn: str,
) -> None:
    first, later = new_id(), new_id()
    async with asyncpg.create_pool(pg_dsn, min_size=1, max_size=2) as pool:
        await pool.execute(USER_ACCESS.read_text())
        await pool.execute("INSERT INTO user_access VALUES ($1, 1, true, now())", first)
        access = AccessList()
        refresher = AccessRefresher(dsn=pg_dsn, pool=pool, load=read_user_access,
                                    access=access, interval_s=3600)  # no periodic re-read
        await refresher.start()
        try:
            assert _revoked(access, first)  # read before start() returned
            assert not _revoked(access, later)
            await pool.execute("INSERT INTO user_access VALUES ($1, 1, true, now())", later)

            async def followed() -> bool:
                return _revoked(access, later)

            await eventually(followed)
        finally:
            await refresher.stop()


async def test_a_refresher_that_cannot_read_leaves_nothing_running(pg_dsn: str) -> None:
    async with asyncpg.create_pool(pg_dsn, min_size=1, max_size=2) as pool:
        refresher = AccessRefresher(dsn=pg_dsn, pool=pool, load=read_user_access,
                                    access=AccessList(), interval_s=3600)
        with pytest.raises(asyncpg.UndefinedTableError):
            await refresher.start()
        assert refresher.listener.connection is None
