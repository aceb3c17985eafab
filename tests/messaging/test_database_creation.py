"""Several processes starting at once on a new database: one creates it, none fails."""

from __future__ import annotations

import asyncio

from shared.db import drop_database, ensure_database
from tests.support.infra import PG_BASE, unique_name


async def test_processes_creating_one_database_at_the_same_moment_all_succeed() -> None:
    dsn = f"{PG_BASE}/{unique_name('jx_race')}"
    try:
        for _ in range(5):  # the window is narrow: try it a few times
            created = await asyncio.gather(*(ensure_database(dsn) for _ in range(8)))
            assert created.count(True) == 1, created
            await drop_database(dsn)
    finally:
        await drop_database(dsn)
