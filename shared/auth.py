"""JWT access tokens: mint with the private key, verify with the public one.

New keys are RSA-2048 and sign RS256: every request of every service verifies a token, a
sign-in signs one, and checking a fresh RS256 token costs about half the CPU of an EdDSA one
(signing costs five times more; docs/benchmarks.md, `python -m bench.token_check`). A key
pair of earlier releases (Ed25519, EdDSA) keeps working: the algorithm follows the key, and a
verifier accepts only its own key's algorithm.
"""

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
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import Unauthorized
from shared.ids import new_id
from shared.private_files import create_private_file

# An examiner (考评员 acting as the second pair of eyes) approves certificates of classes they
# do not teach; an administrator assigns the role.
Role = Literal["trainee", "trainer", "examiner", "admin"]
# The longest token lifetime (exp - iat) a verifier accepts unless configured: above the
# longest sign-in enrollment gives (12 h for trainees, 8 h for staff).
DEFAULT_MAX_TOKEN_LIFETIME_S = 24 * 3600
ROLES: tuple[Role, ...] = ("trainee", "trainer", "examiner", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: UUID
    role: Role
    name: str = ""
    # The user's token version when the token was minted (claim `ver`; 0 when absent): a
    # disable, password change or role change raises it and ends every older token.
    version: int = 0

    @property
    def is_admin(self) -> bool:
        """Tell whether the caller is an administrator."""
        return self.role == "admin"


# RSA keys shorter than this are refused (NIST SP 800-57: 2048 bits until 2030).
_MIN_RSA_BITS = 2048


def _algorithm(key: object) -> str:
    """Return the JWS algorithm of a token key; refuse any other kind of key."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise ValueError(f"an RSA token key needs at least {_MIN_RSA_BITS} bits")
        return "RS256"
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "EdDSA"
    raise ValueError("a token key is RSA (RS256) or Ed25519 (EdDSA)")


def generate_keypair() -> tuple[bytes, bytes]:
    """Return a new RSA-2048 (private PEM, public PEM) pair for RS256 tokens."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_MIN_RSA_BITS)
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
        self.algorithm = _algorithm(self._key)
        self.issuer, self.audience, self.ttl_s = issuer, audience, ttl_s

    def mint(
        self,
        user_id: UUID,
        role: Role,
        *,
        name: str = "",
        ttl_s: int | None = None,
        version: int = 0,
    ) -> str:
        """Return a signed JWT for this user and role at their current token version."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "role": role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + (ttl_s or self.ttl_s),
            "jti": str(new_id()),
            "ver": version,
        }
        if name:
            claims["name"] = name
        return jwt.encode(claims, self._key, algorithm=self.algorithm)  # type: ignore[arg-type]


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
        max_lifetime_s: int = DEFAULT_MAX_TOKEN_LIFETIME_S,
    ) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem)
        # Only the key's own algorithm: a token naming another is refused (no confusion).
        self._algorithms = [_algorithm(self._key)]
        self.issuer, self.audience = issuer, audience
        self.max_lifetime_s = max_lifetime_s
        self._clock = clock
        # A phone sends the same token with every request: remember recent verified tokens
        # (until they expire) so signature checks are not repeated on every call.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size
        # Options fixed once: PyJWT merges per-call options into its own on every decode.
        # Expiry is checked by verify() against our clock, for cached tokens too.
        self._jwt = jwt.PyJWT(
            options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": False}
        )

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
            claims = self._jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                issuer=self.issuer,
                audience=self.audience,
            )
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthorized("access token is invalid", code="invalid_token") from None
        return self._principal_of(claims)

    def _principal_of(self, claims: dict[str, Any]) -> tuple[Principal, float]:
        role, version = claims.get("role"), claims.get("ver", 0)
        if role not in ROLES or type(version) is not int or version < 0:
            raise Unauthorized("token has no valid role or version", code="invalid_token")
        try:
            user_id = UUID(claims["sub"])
            expires, issued = float(claims["exp"]), float(claims["iat"])
        except (ValueError, TypeError):
            raise Unauthorized("access token is invalid", code="invalid_token") from None
        # A token minted for longer than any sign-in gives (a leaked signing key's forgery, or
        # an operator's mistake) is refused whatever its signature says.
        if expires - issued > self.max_lifetime_s:
            raise Unauthorized("access token lives longer than allowed",
                               code="token_lifetime_too_long")
        principal = Principal(user_id=user_id, role=role, name=claims.get("name", ""),
                              version=version)
        return principal, expires
