"""PostgreSQL access: pools, transactions, error classification, database creation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection straight from asyncpg.connect or borrowed from a pool.
Conn = asyncpg.Connection | PoolConnectionProxy

_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "08000", "08003", "08006"})


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open a connection pool with jsonb decoded to Python values."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=30,
        max_inactive_connection_lifetime=60,
    )
    assert pool is not None
    return pool


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Conn]:
    """Acquire a connection and run a transaction on it."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def is_transient(exc: BaseException) -> bool:
    """Tell whether retrying the same transaction at once may succeed."""
    return getattr(exc, "sqlstate", None) in _TRANSIENT_SQLSTATES


def is_unavailable(exc: BaseException) -> bool:
    """Tell whether an asyncpg error means the server cannot be reached (wait, do not give up)."""
    if isinstance(
        exc,
        asyncpg.exceptions.ConnectionDoesNotExistError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.ConnectionFailureError
        | asyncpg.exceptions.TooManyConnectionsError
        | asyncpg.exceptions.InterfaceError,
    ):
        return True
    return getattr(exc, "sqlstate", None) in _UNAVAILABLE_SQLSTATES


async def ping(pool: asyncpg.Pool, *, timeout: float = 2.0) -> bool:
    """Return True when a trivial query succeeds within the timeout."""
    try:
        async with asyncio.timeout(timeout), pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except Exception:
        return False
    return True


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(dsn: str) -> str:
    """Return the database named in a DSN."""
    return urlsplit(dsn).path.lstrip("/")


async def ensure_database(dsn: str) -> bool:
    """Create the DSN's database when it does not exist; return True when created."""
    name = database_name(dsn)
    conn = await asyncpg.connect(_with_database(dsn, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.exceptions.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


async def drop_database(dsn: str) -> None:
    """Drop the DSN's database, disconnecting its sessions (tests only)."""
    name = database_name(dsn)
    conn = await asyncpg.connect(_with_database(dsn, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def record_to_dict(record: asyncpg.Record | None) -> dict[str, Any] | None:
    """Return a plain dict for a record (None stays None)."""
    return dict(record) if record is not None else None
