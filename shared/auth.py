"""JWT (EdDSA/Ed25519) access tokens: mint with the private key, verify with the public one."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.errors import Unauthorized
from shared.ids import new_id
from shared.private_files import create_private_file

Role = Literal["trainee", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("trainee", "trainer", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: UUID
    role: Role
    name: str = ""

    @property
    def is_admin(self) -> bool:
        """Tell whether the caller is an administrator."""
        return self.role == "admin"


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a new Ed25519 (private PEM, public PEM) pair."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def write_keypair(private_path: Path, public_path: Path) -> bool:
    """Create a key pair at these paths unless the private key exists; return True if made."""
    if private_path.exists():
        return False
    private, public = generate_keypair()
    if not create_private_file(private_path, private):
        return False  # made meanwhile by another process: its public key goes with it
    public_path.write_bytes(public)
    return True


class TokenIssuer:
    """Sign access tokens (only the enrollment service and operators hold the private key)."""

    def __init__(self, private_key_pem: bytes, *, issuer: str, audience: str, ttl_s: int = 3600):
        self._key = serialization.load_pem_private_key(private_key_pem, password=None)
        self.issuer, self.audience, self.ttl_s = issuer, audience, ttl_s

    def mint(self, user_id: UUID, role: Role, *, name: str = "", ttl_s: int | None = None) -> str:
        """Return a signed JWT for this user and role."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + (ttl_s or self.ttl_s),
            "jti": str(new_id()),
        }
        if name:
            claims["name"] = name
        return jwt.encode(claims, self._key, algorithm="EdDSA")  # type: ignore[arg-type]


class TokenVerifier:
    """Verify access tokens with the public key; every service has one."""

    def __init__(
        self,
        public_key_pem: bytes,
        *,
        issuer: str,
        audience: str,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem)
        self.issuer, self.audience = issuer, audience
        self._clock = clock
        # A phone sends the same token with every request: remember recent verified tokens
        # (until they expire) so signature checks are not repeated on every call.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        """Return the token's principal or raise Unauthorized."""
        hit = self._verified.get(token)
        if hit is None:
            hit = self._verify(token)
            self._verified[token] = hit
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        else:
            self._verified.move_to_end(token)
        principal, expires = hit
        if expires <= self._clock():
            self._verified.pop(token, None)
            raise Unauthorized("access token expired", code="token_expired")
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=["EdDSA"],
                issuer=self.issuer,
                audience=self.audience,
                # Expiry is checked by verify() against our clock, for cached tokens too.
                options={"require": ["exp", "sub", "iss", "aud"], "verify_exp": False},
            )
            role = claims.get("role")
            if role not in ROLES:
                raise Unauthorized("token has no valid role", code="invalid_token")
            principal = Principal(
                user_id=UUID(claims["sub"]), role=role, name=claims.get("name", "")
            )
            return principal, float(claims["exp"])
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthorized("access token is invalid", code="invalid_token") from None
