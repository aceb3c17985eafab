"""The LISTEN connection behind the relays and the dispatcher is closed whenever it stops."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import pytest

from shared.db import Listener


async def test_a_listener_stopped_while_subscribing_closes_its_new_connection(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped between connecting and LISTEN (as app shutdown may do), it owns the connection."""
    subscribing = asyncio.Event()
    opened: list[asyncpg.Connection] = []

    async def add_listener_forever(self: asyncpg.Connection, *_args: Any) -> None:
        opened.append(self)
        subscribing.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(asyncpg.Connection, "add_listener", add_listener_forever)
    task = asyncio.create_task(Listener(pg_dsn, "jx_test", lambda: None).run())
    await asyncio.wait_for(subscribing.wait(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    (connection,) = opened
    assert connection.is_closed()
