"""Ed25519 signing keys: made on first start, stored encrypted, rotated, never forgotten."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


def b64url(data: bytes) -> str:
    """Encode bytes as unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key of the issuer: `kid` is the fragment of its DID URL (key-1, key-2, ...)."""

    kid: str
    seq: int
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None
    created_at: datetime
    retired_at: datetime | None = None

    @property
    def jwk(self) -> dict[str, str]:
        """Return the public key as a JWK."""
        return public_jwk(self.public)


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """Return an Ed25519 public key as an OKP JWK."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def public_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    """Return the Ed25519 public key of an OKP JWK; ValueError for anything else."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))


def new_private_key() -> Ed25519PrivateKey:
    """Return a fresh Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def seal_private(key: Ed25519PrivateKey, secret: Fernet) -> str:
    """Encrypt a private key for storage."""
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return secret.encrypt(raw).decode()


def open_private(token: str, secret: Fernet) -> Ed25519PrivateKey:
    """Decrypt a stored private key."""
    return Ed25519PrivateKey.from_private_bytes(secret.decrypt(token.encode()))


class KeyRing:
    """The issuer's keys: the newest active one signs, all of them verify."""

    def __init__(self, keys: Sequence[SigningKey] = ()) -> None:
        self._keys = sorted(keys, key=lambda k: k.seq)

    def replace(self, keys: Sequence[SigningKey]) -> None:
        """Swap in a freshly loaded set of keys."""
        self._keys = sorted(keys, key=lambda k: k.seq)

    @property
    def keys(self) -> list[SigningKey]:
        """Return every key, oldest first."""
        return list(self._keys)

    def signing_key(self) -> SigningKey:
        """Return the newest key that is not retired and whose private half we hold."""
        for key in reversed(self._keys):
            if key.retired_at is None and key.private is not None:
                return key
        raise LookupError("no active signing key")
