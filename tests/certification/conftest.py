"""Fixtures of the certification suite: an app on a fresh database, a clock, tokens."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet

from services.certification import handlers
from services.certification.app import create_app
from services.certification.commands import RecordResult
from services.certification.config import Settings
from services.certification.keys import DEPS
from shared.auth import TokenIssuer
from shared.events.catalog import EnrollmentCompleted
from shared.messaging.memory import InMemoryTransport
from shared.service import Overrides
from shared.web.keys import UOW
from tests.certification.factories import settings_for
from tests.support.clock import FakeClock
from tests.support.infra import create_database, drop_database, service_migrations, unique_name

AiohttpClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


CERT_START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@dataclass
class CertApp:
    """A running certification app and what tests need around it."""

    app: web.Application
    client: TestClient[Any, Any]
    settings: Settings
    clock: FakeClock
    issuer: TokenIssuer
    pii: Fernet

    def auth(self, user_id: UUID, role: str) -> dict[str, str]:
        """Return an Authorization header for a user in a role."""
        return {"Authorization": "Bearer " + self.issuer.mint(user_id, role)}  # type: ignore[arg-type]

    async def record(self, event: EnrollmentCompleted) -> None:
        """Apply a result through the real handler in its own transaction."""
        async with self.app[UOW]() as uow:
            await handlers.record_result(RecordResult.from_event(event), uow=uow,
                                         deps=self.app[DEPS])


@pytest.fixture
def cert_keys(tmp_path: Path, key_files: Path) -> Path:
    """A key folder with the JWT public key, a PII key and room for the signing secret."""
    folder = tmp_path / "keys"
    folder.mkdir()
    shutil.copy(key_files / "jwt-signing.pub.pem", folder / "jwt-signing.pub.pem")
    return folder


MakeApp = Callable[..., Awaitable[CertApp]]


@pytest.fixture
def make_cert_app(
    pg_dsn: str, cert_keys: Path, issuer: TokenIssuer, aiohttp_client: AiohttpClient,
) -> MakeApp:
    """Start the certification app on the test database with some settings changed."""

    async def make(**changes: Any) -> CertApp:
        # No broker here (in-memory transport), so the namespace is never declared.
        namespace = unique_name("jxcert").replace("_", "-")
        settings = settings_for(pg_dsn, namespace, cert_keys, **changes)
        return await start_cert_app(settings, issuer, aiohttp_client)

    return make


async def start_cert_app(
    settings: Settings, issuer: TokenIssuer, aiohttp_client: AiohttpClient
) -> CertApp:
    """Start the certification app with these settings, an in-memory broker and a test clock."""
    clock = FakeClock(CERT_START)
    app = create_app(settings, overrides=Overrides(transport=InMemoryTransport()), clock=clock)
    client = await aiohttp_client(app)
    pii = Fernet(settings.pii_transport_key_file.read_bytes())
    return CertApp(app, client, settings, clock, issuer, pii)


@pytest.fixture
async def cert_app(make_cert_app: MakeApp) -> CertApp:
    """The certification app on a fresh database (no broker: HTTP and handlers only)."""
    return await make_cert_app()


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """A new database with the certification service's tables already in place, dropped afterwards
    (the service still runs its migrations at start-up and finds nothing left to do)."""
    dsn = await create_database("jx_cert", [service_migrations("certification")])
    yield dsn
    await drop_database(dsn)
