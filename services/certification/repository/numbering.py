"""Certificate numbers and status-list indices: counters drawn inside the issuing transaction."""

from __future__ import annotations

from services.certification.credentials.status_list import FILL, random_index
from services.certification.domain.numbers import CounterKey
from shared.db import Conn


def claimed_index(first: int) -> str:
    """Return the SQL of the global index a draw claims, its parameters numbered from `first`.

    The parameters: draws per list, list size, index within the list. The list is the draw
    counter over the draws a list takes.
    """
    per_list, size, index = (f"${n}" for n in range(first, first + 3))
    return f"nextval('status_index_seq') / {per_list} * {size} + {index}"


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


async def claim_status_index(conn: Conn, *, size: int, index: int) -> int | None:
    """Advance the draw counter and claim `index` in the list it points at; None when taken."""
    claimed: int | None = await conn.fetchval(
        f"""INSERT INTO status_indices (status_index) SELECT {claimed_index(1)}
            ON CONFLICT DO NOTHING RETURNING status_index""",
        size // FILL, size, index,
    )
    return claimed


async def next_status_index(conn: Conn, *, size: int) -> int:
    """Claim a random free status-list index in the list being filled."""
    while True:
        claimed = await claim_status_index(conn, size=size, index=random_index(size))
        if claimed is not None:
            return claimed
