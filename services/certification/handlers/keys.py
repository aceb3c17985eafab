"""Signing keys: create the first on start, load them, rotate to a new one."""

from __future__ import annotations

import asyncpg
from cryptography.fernet import Fernet

from services.certification.credentials.keys import (
    SigningKey,
    new_private_key,
    open_private,
    public_from_jwk,
    public_jwk,
    seal_private,
)
from services.certification.repository import signing_keys
from shared.logging import get_logger

log = get_logger(__name__)


async def load_keys(pool: asyncpg.Pool, secret: Fernet) -> list[SigningKey]:
    """Return every signing key with its private half decrypted."""
    keys = []
    async with pool.acquire() as conn:
        for r in await signing_keys.load_keys(conn):
            keys.append(SigningKey(
                kid=r["kid"], seq=r["seq"], public=public_from_jwk(r["public_jwk"]),
                private=open_private(r["private_key_encrypted"], secret),
                created_at=r["created_at"], retired_at=r["retired_at"],
            ))
    return keys


async def add_key(pool: asyncpg.Pool, secret: Fernet, *, only_if_none: bool) -> str | None:
    """Create a new signing key (the newest signs from now on); return its kid."""
    async with pool.acquire() as conn, conn.transaction():
        await signing_keys.lock_keys(conn)
        existing = await signing_keys.load_keys(conn)
        if only_if_none and any(r["retired_at"] is None for r in existing):
            return None
        seq = max((r["seq"] for r in existing), default=0) + 1
        private = new_private_key()
        kid = f"key-{seq}"
        await signing_keys.insert_key(conn, kid=kid, seq=seq,
                                    public_jwk=public_jwk(private.public_key()),
                                    private_key_encrypted=seal_private(private, secret))
    log.info("signing_key_created", kid=kid)
    return kid


async def rotate(pool: asyncpg.Pool, secret: Fernet, *, retire_old: bool) -> str:
    """Add a key; optionally retire the older ones (they stay published for verification)."""
    kid = await add_key(pool, secret, only_if_none=False)
    assert kid is not None
    if retire_old:
        async with pool.acquire() as conn:
            await signing_keys.retire_keys_before(conn, int(kid.removeprefix("key-")))
    return kid
