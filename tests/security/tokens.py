"""Tokens no service may accept, each flawed in exactly one way, all of an administrator.

Each starts from a token `TokenIssuer.mint` signs (the platform's only way to mint), so a
service that accepted one would hand out an administrator's powers.
"""

from __future__ import annotations

import base64
import json
from uuid import UUID

from shared.auth import TokenIssuer


def header(token: str) -> dict[str, str]:
    """Return the Authorization header carrying a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def forged_tokens(issuer: TokenIssuer, admin_id: UUID, *, max_lifetime_s: int) -> dict[str, str]:
    """Return the expired, tampered, `alg: none` and over-long tokens of an administrator."""
    valid = issuer.mint(admin_id, "admin")
    return {
        "expired_token": issuer.mint(admin_id, "admin", ttl_s=-120),
        "tampered_token": with_altered_signature(valid),
        "alg_none_token": unsigned(valid),
        "long_lived_token": issuer.mint(admin_id, "admin", ttl_s=max_lifetime_s + 60),
    }


def with_altered_signature(token: str) -> str:
    """Return the token with one bit of its signature flipped (the claims untouched)."""
    head, payload, signature = token.split(".")
    raw = bytearray(_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{_encode(bytes(raw))}"


def unsigned(token: str) -> str:
    """Return the token's claims under `{"alg": "none"}` with an empty signature."""
    payload = token.split(".")[1]
    head = _encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{payload}."


def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
