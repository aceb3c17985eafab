"""PostgreSQL access: pools, error classification, LISTEN, database creation."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.logging import get_logger

log = get_logger(__name__)

# A connection straight from asyncpg.connect or borrowed from a pool.
Conn = asyncpg.Connection | PoolConnectionProxy

_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "08000", "08003", "08006"})


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def keep_session(_conn: asyncpg.Connection) -> None:
    """Pool reset that sends nothing: asyncpg still rolls back an open transaction first.

    The default reset costs one more round trip per checkout (advisory unlock, CLOSE ALL,
    UNLISTEN, RESET ALL) to undo session state that no Jiangxin code creates on pooled
    connections: settings are `SET LOCAL`, locks are transaction-scoped, and LISTEN and the
    migration lock use connections of their own.
    """


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open a connection pool with jsonb decoded to Python values."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=keep_session,
        command_timeout=30,
        max_inactive_connection_lifetime=60,
    )
    assert pool is not None
    return pool


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
        | asyncpg.exceptions.TooManyConnectionsError,
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
        except asyncpg.exceptions.UniqueViolationError:
            # Another process created it in the same instant (two replicas starting at once):
            # the catalog's unique index answers instead of the duplicate-database check.
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


class Listener:
    """Keep one LISTEN connection alive and call `on_notify` for each notification.

    When the connection drops it reconnects with backoff; `listening` tells callers whether
    they must fall back to polling meanwhile. Every (re)connection also calls `on_notify`,
    because notifications sent while nobody listened are lost.
    """

    def __init__(
        self,
        dsn: str,
        channel: str,
        on_notify: Callable[[], None],
        *,
        keepalive_s: float = 5.0,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.dsn, self.channel, self.on_notify = dsn, channel, on_notify
        self.keepalive_s, self.max_backoff_s = keepalive_s, max_backoff_s
        self.connection: asyncpg.Connection | None = None  # set while listening
        self._open: asyncpg.Connection | None = None  # set from connect to close

    @property
    def listening(self) -> bool:
        """Tell whether notifications are being received right now."""
        return self.connection is not None and not self.connection.is_closed()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting whenever the connection is lost."""
        backoff = 0.2
        try:
            while True:
                try:
                    await self._listen_once()
                    backoff = 0.2
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("listen_lost", channel=self.channel, error=repr(exc))
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
        finally:
            await self._close()

    async def _listen_once(self) -> None:
        conn = await _connect_or_close(self.dsn)
        self._open = conn  # closed by _close() whatever happens from here on
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(self.channel, lambda *_args: self.on_notify())
        self.connection = conn
        self.on_notify()
        log.info("listening", channel=self.channel)
        while not lost.is_set() and not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self.keepalive_s)
                continue
            # A keepalive query notices a silently dead socket.
            await asyncio.wait_for(conn.execute("SELECT 1"), self.keepalive_s)

    async def _close(self) -> None:
        conn, self._open, self.connection = self._open, None, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2.0)


async def _connect_or_close(dsn: str) -> asyncpg.Connection:
    """Connect; when cancelled meanwhile, close the connection should it still come about.

    A task cancelled inside `asyncpg.connect` would otherwise leave an open connection that
    nobody owns (the garbage collector later reports it unclosed)."""
    connecting = asyncio.ensure_future(asyncpg.connect(dsn))
    try:
        return await asyncio.shield(connecting)
    except asyncio.CancelledError:
        connecting.add_done_callback(_terminate_if_connected)
        raise


def _terminate_if_connected(connecting: asyncio.Future[asyncpg.Connection]) -> None:
    if not connecting.cancelled() and connecting.exception() is None:
        connecting.result().terminate()
