"""Fixtures shared by the whole suite: real PostgreSQL and RabbitMQ, unique per test."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.auth import TokenIssuer, TokenVerifier, generate_keypair
from shared.ids import new_id
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.topology import QueueTopology
from tests.support.infra import (
    create_database,
    delete_leftover_queues,
    delete_queues,
    drop_database,
    list_queues,
    owned_prefix,
)

# Every log line of the run is scanned for unmasked personal data; a hit fails the run.
pytest_plugins = ["tests.support.log_guard"]


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """A new database with the messaging tables, dropped afterwards."""
    dsn = await create_database("jx_test")
    yield dsn
    await drop_database(dsn)


SESSION_PREFIX = owned_prefix("t")
_FAULT_TESTS_RAN: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave tests marked `long` out unless the -m expression names them (make test-long)."""
    if "long" in (config.getoption("markexpr") or ""):
        return
    long = [item for item in items if item.get_closest_marker("long") is not None]
    if long:
        config.hook.pytest_deselected(items=long)
        items[:] = [item for item in items if item.get_closest_marker("long") is None]


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Note that a test which stops servers ran, so the session checks they are back."""
    if item.get_closest_marker("faults") is not None:
        _FAULT_TESTS_RAN.append(item.nodeid)


_DECLARED: dict[str, set[str]] = defaultdict(set)


@pytest.fixture(autouse=True, scope="session")
def _record_declared_queues() -> Iterator[None]:
    """Remember every queue a test declares so teardown can delete it quickly."""
    original = RabbitTransport.declare

    async def declare(self: RabbitTransport, topology: QueueTopology) -> None:
        _DECLARED[topology.queue.split(".")[0]].update(topology.all_queues)
        await original(self, topology)

    RabbitTransport.declare = declare  # type: ignore[method-assign]
    # Queues that killed runs left behind hold broker file handles; enough of them and the
    # broker stops accepting connections. rabbitmqctl lists them (absent: nothing to sweep).
    if shutil.which("rabbitmqctl"):
        asyncio.run(delete_leftover_queues())
    yield
    RabbitTransport.declare = original  # type: ignore[method-assign]

    async def sweep() -> None:
        await delete_queues(await list_queues(SESSION_PREFIX + "-"))

    # A last look for queues a crashed test left; rabbitmqctl is an operator tool that a
    # developer's PATH may lack, and every test already deleted what it declared.
    if shutil.which("rabbitmqctl"):
        asyncio.run(sweep())


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    """A broker namespace (exchange and queue prefix) no other test uses."""
    name = f"{SESSION_PREFIX}-{new_id().hex[-10:]}"
    yield name
    known = _DECLARED.pop(name, set())
    extra = {f"{name}.{suffix}" for suffix in ("tap", "order", "full", "faults", "x")}
    await delete_queues(sorted(known | extra), exchange=f"{name}.events")


@pytest.fixture(scope="session")
def keypair() -> tuple[bytes, bytes]:
    """A key pair (RSA, as `jiangxin keys` makes) for signing test tokens."""
    return generate_keypair()


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory, keypair: tuple[bytes, bytes]) -> Path:
    """The key pair written to files, as services read them; returns the directory."""
    directory = tmp_path_factory.mktemp("keys")
    (directory / "jwt-signing.pem").write_bytes(keypair[0])
    (directory / "jwt-signing.pub.pem").write_bytes(keypair[1])
    return directory


@pytest.fixture(scope="session")
def issuer(keypair: tuple[bytes, bytes]) -> TokenIssuer:
    """Mints tokens the services accept."""
    return TokenIssuer(keypair[0], issuer="jiangxin", audience="jiangxin")


@pytest.fixture(scope="session")
def verifier(keypair: tuple[bytes, bytes]) -> TokenVerifier:
    """Verifies tokens minted by `issuer`."""
    return TokenVerifier(keypair[1], issuer="jiangxin", audience="jiangxin")


@pytest.fixture(autouse=True, scope="session")
def _quiet_logs() -> None:
    """Configure logging once: warnings and errors only, so failures stay readable."""
    from shared.logging import configure_logging
    from tests.support.logs import SUITE_LEVEL

    configure_logging(level=SUITE_LEVEL, fmt="console")


@pytest.fixture(autouse=True, scope="session")
def _servers_left_running() -> Iterator[None]:
    """Whatever a fault test did, leave PostgreSQL and RabbitMQ running at the end."""
    yield
    if not _FAULT_TESTS_RAN:
        return
    from tests.support.faults import ensure_servers_running

    asyncio.run(ensure_servers_running())


@pytest.fixture(autouse=True, scope="session")
def _services_use_the_test_broker() -> Iterator[None]:
    """Settings built in tests without an explicit amqp_url reach the test broker too."""
    from tests.support.infra import AMQP_URL

    previous = os.environ.get("JIANGXIN_AMQP_URL")
    os.environ["JIANGXIN_AMQP_URL"] = AMQP_URL
    yield
    if previous is None:
        os.environ.pop("JIANGXIN_AMQP_URL", None)
    else:
        os.environ["JIANGXIN_AMQP_URL"] = previous
