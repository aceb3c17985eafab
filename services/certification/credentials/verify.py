"""Verify a VC-JWT with a DID document and status lists only (offline, no database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import jwt

from services.certification.credentials import vc
from services.certification.credentials.did import find_key
from services.certification.credentials.keys import public_jwk
from services.certification.credentials.status_list import bit_is_set, decode_bits

Verdict = Literal["valid", "revoked", "suspended", "expired", "invalid"]
# Returns the text of a status list credential (a signed VC-JWT) given its URL.
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
    encoding: str | None = None

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
            "encoding": self.encoding,
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


@dataclass(frozen=True, slots=True)
class Signed:
    """A JWT whose signature holds: its payload, the credential in it and the key that signed."""

    claims: dict[str, Any]
    credential: dict[str, Any]
    kid: str
    legacy: bool  # the previous encoding: the credential in a VC 1.1 `vc` claim


def verify_signature(token: str, did_document: dict[str, Any]) -> Signed:
    """Return what a JWT signed by a key of the DID document carries (either encoding)."""
    if token.lstrip().startswith("{"):
        raise CredentialInvalid("not a signed VC-JWT (a bare JSON credential proves nothing)")
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
    if "jwk" in header and header["jwk"] != public_jwk(key):
        raise CredentialInvalid("the header's jwk is not the key its kid names")
    try:
        claims = jwt.decode(
            token, key, algorithms=["EdDSA"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                     "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise CredentialInvalid(f"signature check failed: {exc}") from exc
    signed = Signed(claims=claims, credential=vc.credential_of(claims), kid=kid,
                    legacy=vc.is_legacy(claims))
    _check_claims(signed, did_document.get("id"))
    return signed


def _check_claims(signed: Signed, did: Any) -> None:
    claims, credential = signed.claims, signed.credential
    if claims.get("iss") != did or vc.id_of(credential.get("issuer")) != did:
        raise CredentialInvalid("issuer does not match the DID document")
    if not isinstance(claims.get("nbf"), int):
        raise CredentialInvalid("the JWT has no nbf")
    if signed.legacy:
        return
    if claims.get("jti") != credential.get("id"):
        raise CredentialInvalid("jti does not match the credential id")
    subject = vc.id_of(credential.get("credentialSubject"))
    if isinstance(subject, str) and claims.get("sub") != subject:
        raise CredentialInvalid("sub does not match the credential subject")


def _check_window(list_credential: dict[str, Any], now: datetime) -> None:
    try:
        start = datetime.fromisoformat(list_credential["validFrom"])
        end = datetime.fromisoformat(list_credential["validUntil"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CredentialInvalid("the status list has no validity period") from exc
    if not start <= now < end:
        raise CredentialInvalid(f"the status list is valid only until {end.isoformat()}: "
                                "fetch a fresh one")


def _list_bit(entry: dict[str, Any], fetch: ListFetcher, did_document: dict[str, Any],
              now: datetime) -> bool:
    url = entry["statusListCredential"]
    listed = verify_signature(fetch(url).strip(), did_document).credential
    if listed.get("id") != url:
        raise CredentialInvalid("the status list is not the one the credential names")
    _check_window(listed, now)
    subject = listed["credentialSubject"]
    if subject.get("statusPurpose") != entry.get("statusPurpose"):
        raise CredentialInvalid("status list purpose does not match")
    return bit_is_set(decode_bits(subject["encodedList"]), int(entry["statusListIndex"]))


def verify_credential(
    token: str, did_document: dict[str, Any], *, fetch_list: ListFetcher | None, now: datetime
) -> Verification:
    """Verify signature, validity period and (when a fetcher is given) status list bits."""
    try:
        signed = verify_signature(token, did_document)
    except CredentialInvalid as exc:
        return Verification(signature_valid=False, status="invalid", errors=[str(exc)])
    result = Verification(signature_valid=True, status="valid", credential=signed.credential,
                          kid=signed.kid, encoding="vc-1.1-wrapper" if signed.legacy else "ob3")
    if fetch_list is not None:
        entries = signed.credential.get("credentialStatus") or []
        for entry in entries if isinstance(entries, list) else [entries]:
            try:
                if _list_bit(entry, fetch_list, did_document, now):
                    result.status = "revoked" if entry["statusPurpose"] == "revocation" else (
                        "suspended" if result.status != "revoked" else result.status)
            except (CredentialInvalid, KeyError, TypeError, ValueError, OSError) as exc:
                result.errors.append(f"status list: {exc}")
                result.status = "invalid"
    claims = signed.claims
    if result.status == "valid" and "exp" in claims and now.timestamp() >= claims["exp"]:
        result.status = "expired"
    if result.status == "valid" and now.timestamp() < claims["nbf"]:
        result.status = "invalid"
        result.errors.append("not valid yet")
    return result
