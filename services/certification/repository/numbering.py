"""Certificate numbers and status-list indices: counters drawn inside the issuing transaction."""

from __future__ import annotations

from services.certification.domain.numbers import CounterKey
from shared.db import Conn


async def next_serial(conn: Conn, key: CounterKey) -> int:
    """Draw the next serial of a counter (row-locked until the issuing transaction ends)."""
    serial: int = await conn.fetchval(
        """INSERT INTO number_counters (prefix, year, level, last_serial) VALUES ($1, $2, $3, 1)
           ON CONFLICT (prefix, year, level)
           DO UPDATE SET last_serial = number_counters.last_serial + 1
           RETURNING last_serial""",
        key.prefix, key.year, key.level,
    )
    return serial


async def next_status_index(conn: Conn) -> int:
    """Draw a global status-list index."""
    index: int = await conn.fetchval("SELECT nextval('status_index_seq')")
    return index
