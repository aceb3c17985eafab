"""Password hashing (argon2id), computed off the event loop."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified when the phone is unknown, so a wrong phone costs as much as a wrong password.
    return _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    """Return an argon2id hash (computed off the event loop)."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Tell whether a password matches its hash; equally slow when there is no hash."""

    def verify() -> bool:
        try:
            matched = _hasher.verify(stored_hash or _dummy_hash(), password)
            return matched and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
