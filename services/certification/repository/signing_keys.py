"""The credential signing keys (private halves sealed with the signing secret)."""

from __future__ import annotations

import asyncpg

from shared.db import Conn


async def load_keys(conn: Conn | asyncpg.Pool) -> list[asyncpg.Record]:
    """Return every signing key row, oldest first."""
    return list(await conn.fetch("SELECT * FROM signing_keys ORDER BY seq"))


async def insert_key(
    conn: Conn, *, kid: str, seq: int, public_jwk: dict[str, str],
    private_key_encrypted: str,
) -> None:
    """Store a new signing key."""
    await conn.execute(
        """INSERT INTO signing_keys (kid, seq, public_jwk, private_key_encrypted)
           VALUES ($1, $2, $3, $4)""",
        kid, seq, public_jwk, private_key_encrypted,
    )


async def retire_keys_before(conn: Conn, seq: int) -> int:
    """Retire every active key older than `seq`; return how many."""
    status = await conn.execute(
        "UPDATE signing_keys SET retired_at = now() WHERE seq < $1 AND retired_at IS NULL", seq
    )
    return int(status.split()[-1])


async def lock_keys(conn: Conn) -> None:
    """Serialise key creation between instances starting at once."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('certification.signing_keys'))")
