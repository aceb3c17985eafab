"""Fixtures of the enrollment tests: the service on a real port, with its own database.

Tests of a module share one event loop, one database and one service (`svc`): starting a
database costs seconds on the shared machine. Tests stay independent by creating their own
classes, users and phone numbers; the clock goes back to START before each test. Tests that
need other settings (jobs, consumers, several instances) start their own with `start_service`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from shared.auth import TokenIssuer
from shared.ids import new_id
from tests.conftest import _DECLARED, SESSION_PREFIX
from tests.enrollment.support import (
    START,
    Service,
    running_service,
    settings_for,
    write_keys,
)
from tests.support.clock import FakeClock
from tests.support.infra import (
    PG_BASE,
    create_database,
    delete_queues,
    drop_database,
    service_migrations,
    unique_name,
)

StartService = Callable[..., Awaitable[Service]]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run every enrollment test in its module's event loop (module-scoped fixtures)."""
    for item in items:
        if HERE in Path(str(item.path)).parents and pytest_asyncio.is_async_test(item):
            item.add_marker(pytest.mark.asyncio(loop_scope="module"), append=False)


@pytest.fixture(scope="module")
def keys(key_files: Path) -> Path:
    """The JWT key pair plus the two Fernet keys, as files."""
    write_keys(key_files)
    return key_files


class _Instances:
    """Start service instances on one database; stop them and clean the broker at the end."""

    def __init__(self, keys: Path, issuer: TokenIssuer) -> None:
        self.keys, self.issuer = keys, issuer
        self.dsn = f"{PG_BASE}/{unique_name('jx_enr')}"
        self.created = False
        self.namespace = f"{SESSION_PREFIX}-enr{new_id().hex[-10:]}"
        self.stack = AsyncExitStack()

    async def start(self, clock: FakeClock | None = None, **settings: Any) -> Service:
        if not self.created:  # cloned from a migrated template: quicker than migrating
            self.dsn = await create_database("jx_enr", [service_migrations("enrollment")])
            self.created = True
        return await self.stack.enter_async_context(running_service(
            settings_for(self.dsn, self.namespace, self.keys, **settings),
            clock=clock or FakeClock(START), issuer=self.issuer, keys=self.keys,
        ))

    async def close(self) -> None:
        await self.stack.aclose()
        queues = _DECLARED.pop(self.namespace, set())
        await delete_queues(sorted(queues), exchange=f"{self.namespace}.events")
        await drop_database(self.dsn)


@pytest_asyncio.fixture(loop_scope="module")
async def start_service(keys: Path, issuer: TokenIssuer) -> AsyncIterator[StartService]:
    """Start one or more instances on a fresh database of this test (jobs, consumers ...)."""
    instances = _Instances(keys, issuer)
    try:
        yield instances.start
    finally:
        await instances.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_service(keys: Path, issuer: TokenIssuer) -> AsyncIterator[Service]:
    """One service instance for the module (no relay, consumer or jobs)."""
    instances = _Instances(keys, issuer)
    try:
        yield await instances.start()
    finally:
        await instances.close()


@pytest_asyncio.fixture(loop_scope="module")
async def svc(module_service: Service) -> Service:
    """The module's service with its clock back at START."""
    module_service.clock.set(START)
    return module_service
