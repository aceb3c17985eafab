"""A certificate's signed credential: read in batches and swapped for a re-signed one."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db import Conn


async def credentials_after(
    pool: asyncpg.Pool, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    """Return (id, credential) of issued certificates with an id above `after`, in id order."""
    return list(await pool.fetch(
        """SELECT id, credential FROM certificates
           WHERE status IN ('valid', 'suspended', 'revoked') AND credential IS NOT NULL
             AND ($1::uuid IS NULL OR id > $1)
           ORDER BY id LIMIT $2""",
        after, limit,
    ))


async def replace_credential(
    conn: Conn, certificate_id: UUID, *, credential: str, kid: str
) -> None:
    """Store a certificate's re-signed credential and the key that signed it."""
    await conn.execute(
        "UPDATE certificates SET credential = $2, kid = $3, updated_at = now() WHERE id = $1",
        certificate_id, credential, kid,
    )
