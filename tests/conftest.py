"""Fixtures shared by the whole suite: real PostgreSQL and RabbitMQ, unique per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.auth import TokenIssuer, TokenVerifier, generate_keypair
from tests.support.infra import create_database, delete_namespace, drop_database, unique_name


@pytest.fixture
async def pg_dsn() -> AsyncIterator[str]:
    """A new database with the messaging tables, dropped afterwards."""
    dsn = await create_database("jx_test")
    yield dsn
    await drop_database(dsn)


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    """A broker namespace (exchange and queue prefix) no other test uses."""
    name = unique_name("jxtest").replace("_", "-")
    yield name
    await delete_namespace(name)


@pytest.fixture(scope="session")
def keypair() -> tuple[bytes, bytes]:
    """An Ed25519 key pair for signing test tokens."""
    return generate_keypair()


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory, keypair: tuple[bytes, bytes]) -> Path:
    """The key pair written to files, as services read them; returns the directory."""
    directory = tmp_path_factory.mktemp("keys")
    (directory / "jwt-ed25519.pem").write_bytes(keypair[0])
    (directory / "jwt-ed25519.pub.pem").write_bytes(keypair[1])
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

    configure_logging(level="WARNING", fmt="console")


@pytest.fixture(autouse=True, scope="session")
def _servers_left_running() -> Iterator[None]:
    """Whatever a fault test did, leave PostgreSQL and RabbitMQ running at the end."""
    yield
    from tests.support.faults import ensure_servers_running

    asyncio.run(ensure_servers_running())
