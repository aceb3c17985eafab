"""Secrets of the enrollment service: ID-number ciphers, password and sign-in code hashing."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified when the phone is unknown, so a wrong phone costs as much as a wrong password.
    return _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class PiiCiphers:
    """Encrypt ID numbers at rest; re-encrypt them for certification under the transport key."""

    at_rest: Fernet
    transport: Fernet
    otp_key: bytes

    @classmethod
    def from_files(cls, *, at_rest: Path, transport: Path) -> PiiCiphers:
        """Load both Fernet keys; the sign-in code HMAC key is derived from the at-rest key."""
        at_rest_key = _read_key(at_rest)
        return cls(
            at_rest=Fernet(at_rest_key),
            transport=Fernet(_read_key(transport)),
            otp_key=hashlib.sha256(b"jiangxin-otp:" + at_rest_key).digest(),
        )

    def seal(self, number: str) -> str:
        """Encrypt an ID number for storage."""
        return self.at_rest.encrypt(number.encode()).decode()

    def open(self, token: str) -> str:
        """Decrypt a stored ID number."""
        try:
            return self.at_rest.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("stored ID number cannot be decrypted with the at-rest key") from None

    def for_transport(self, token: str) -> str:
        """Re-encrypt a stored ID number under the PII transport key."""
        return self.transport.encrypt(self.open(token).encode()).decode()

    def otp_hash(self, phone: str, code: str) -> str:
        """Return the keyed hash under which a sign-in code is stored."""
        return hmac.new(self.otp_key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def phone_key(self, phone: str) -> str:
        """Return a keyed hash of a phone number, for records that must not hold the number."""
        return hmac.new(self.otp_key, f"phone:{phone}".encode(), hashlib.sha256).hexdigest()


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"key file {path} is missing: run `jiangxin keys` or set its *_key_file setting"
        ) from None


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
