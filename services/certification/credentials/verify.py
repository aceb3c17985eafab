"""Verify a VC-JWT with a DID document and status lists only (offline, no database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import jwt

from services.certification.credentials.did import find_key
from services.certification.credentials.status_list import bit_is_set, decode_bits

Verdict = Literal["valid", "revoked", "suspended", "expired", "invalid"]
# Returns the text of a status list credential (VC-JWT, or its JSON) given its URL.
ListFetcher = Callable[[str], str]


class CredentialInvalid(Exception):
    """The credential is malformed or its signature does not hold."""


@dataclass(slots=True)
class Verification:
    """The outcome of verifying a credential."""

    signature_valid: bool
    status: Verdict
    credential: dict[str, Any] | None = None
    kid: str | None = None
    errors: list[str] = field(default_factory=list)
    status_lists_signed: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary."""
        cred = self.credential or {}
        return {
            "signature_valid": self.signature_valid,
            "status": self.status,
            "id": cred.get("id"),
            "name": cred.get("name"),
            "issuer": cred.get("issuer"),
            "valid_from": cred.get("validFrom"),
            "valid_until": cred.get("validUntil"),
            "kid": self.kid,
            "status_lists_signed": self.status_lists_signed,
            "errors": self.errors,
        }


def credential_text(raw: str) -> str:
    """Return the compact JWT from a file's text: the JWT itself or `{"credential": ...}`."""
    text = raw.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise CredentialInvalid("the file is neither a JWT nor JSON") from exc
        inner = value.get("credential") if isinstance(value, dict) else None
        if not isinstance(inner, str):
            raise CredentialInvalid("expected {'format': 'vc+jwt', 'credential': '<jwt>'}")
        text = inner.strip()
    return text


def verify_signature(token: str, did_document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Return (claims, kid) of a JWT signed by a key of the DID document; else raise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise CredentialInvalid(f"not a JWT: {exc}") from exc
    kid = header.get("kid")
    if header.get("alg") != "EdDSA" or not isinstance(kid, str):
        raise CredentialInvalid("expected an EdDSA JWT with a kid")
    try:
        key = find_key(did_document, kid)
    except LookupError as exc:
        raise CredentialInvalid(str(exc)) from exc
    try:
        claims = jwt.decode(
            token, key, algorithms=["EdDSA"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                     "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise CredentialInvalid(f"signature check failed: {exc}") from exc
    if claims.get("iss") != did_document.get("id") or not isinstance(claims.get("vc"), dict):
        raise CredentialInvalid("issuer does not match the DID document")
    return claims, kid


def _list_bit(
    entry: dict[str, Any], fetch: ListFetcher, did_document: dict[str, Any], result: Verification
) -> bool:
    text = fetch(entry["statusListCredential"]).strip()
    if text.startswith("{"):
        result.status_lists_signed = False
        vc = json.loads(text)
    else:
        claims, _kid = verify_signature(text, did_document)
        vc = claims["vc"]
    subject = vc["credentialSubject"]
    if subject.get("statusPurpose") != entry.get("statusPurpose"):
        raise CredentialInvalid("status list purpose does not match")
    return bit_is_set(decode_bits(subject["encodedList"]), int(entry["statusListIndex"]))


def verify_credential(
    token: str, did_document: dict[str, Any], *, fetch_list: ListFetcher | None, now: datetime
) -> Verification:
    """Verify signature, validity period and (when a fetcher is given) status list bits."""
    try:
        claims, kid = verify_signature(token, did_document)
    except CredentialInvalid as exc:
        return Verification(signature_valid=False, status="invalid", errors=[str(exc)])
    result = Verification(signature_valid=True, status="valid", credential=claims["vc"], kid=kid)
    if fetch_list is not None:
        entries = claims["vc"].get("credentialStatus") or []
        for entry in entries if isinstance(entries, list) else [entries]:
            try:
                if _list_bit(entry, fetch_list, did_document, result):
                    result.status = "revoked" if entry["statusPurpose"] == "revocation" else (
                        "suspended" if result.status != "revoked" else result.status)
            except (CredentialInvalid, KeyError, ValueError, OSError) as exc:
                result.errors.append(f"status list: {exc}")
                result.status = "invalid"
    if result.status == "valid" and "exp" in claims and now.timestamp() >= claims["exp"]:
        result.status = "expired"
    if result.status == "valid" and now.timestamp() < claims.get("nbf", 0):
        result.status = "invalid"
        result.errors.append("not valid yet")
    return result
