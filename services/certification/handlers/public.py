"""Public use cases (no login): verify by number or code, verify a credential, status lists."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from services.certification.credentials import vc
from services.certification.credentials.did import did_document
from services.certification.credentials.keys import SigningKey, public_from_jwk
from services.certification.credentials.status_list import (
    encode_bits,
    parse_list_id,
    status_list_credential,
)
from services.certification.credentials.verify import CredentialInvalid, verify_signature
from services.certification.deps import Deps
from services.certification.domain.codes import normalise_code
from services.certification.domain.numbers import looks_like_number
from services.certification.domain.public import names_match
from services.certification.views import verification as views
from services.certification.views.models import VerifyOut
from shared.errors import NotFound, ValidationFailed

_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _not_found() -> NotFound:
    # One answer for an unknown number, a wrong name and an unknown code: no hint which.
    return NotFound("no certificate matches", code="certificate_not_found")


def is_number(text: str) -> bool:
    """Tell whether typed text is a certificate number (looked up only with a name)."""
    return looks_like_number(text.strip().upper())


async def lookup_code(deps: Deps, text: str) -> VerifyOut:
    """Return the public view of an issued certificate by its verification code alone."""
    if is_number(text):
        raise ValidationFailed("a certificate number is looked up with the holder's name",
                               code="holder_name_required")
    code = normalise_code(text.strip().upper())
    record = None if code is None else await views.verification_record(deps.read_pool, code=code)
    if record is None:
        raise _not_found()
    return views.present_public(record, today=deps.today(), base_url=deps.base_url)


async def lookup_number(deps: Deps, number: str, name: str | None) -> VerifyOut:
    """Return the public view by number and the holder's name; 404 for any mismatch."""
    if not name or not name.strip():
        raise ValidationFailed("a certificate number is looked up with the holder's name",
                               code="holder_name_required")
    record = await views.verification_record(deps.read_pool, number=number.strip().upper())
    if record is None or not names_match(name, record["holder_name"]):
        raise _not_found()
    return views.present_public(record, today=deps.today(), base_url=deps.base_url,
                                with_code=False)


async def published_document(deps: Deps) -> dict[str, Any]:
    """Return the DID document with every key ever used (rotation keeps old ones)."""
    keys = [
        SigningKey(kid=r["kid"], seq=r["seq"], public=public_from_jwk(r["public_jwk"]),
                   private=None, created_at=r["created_at"], retired_at=r["retired_at"])
        for r in await views.published_keys(deps.read_pool)
    ]
    return did_document(deps.did, keys)


def credential_token(credential: str | dict[str, Any]) -> str:
    """Return the compact JWS of a posted credential, or raise ValidationFailed."""
    if isinstance(credential, dict):
        if credential.get("format", "vc+jwt") != "vc+jwt":
            raise ValidationFailed("only vc+jwt credentials are issued here",
                                   code="unsupported_format")
        inner = credential.get("credential")
        credential = inner if isinstance(inner, str) else ""
    token = credential.strip()
    if not _JWS.match(token):
        raise ValidationFailed("the credential is not a compact JWS", code="credential_malformed")
    return token


async def verify_posted(
    deps: Deps, credential: str | dict[str, Any]
) -> VerifyOut:
    """Check a credential's signature against our DID document, then its current status."""
    token = credential_token(credential)
    try:
        signed = verify_signature(token, await published_document(deps))
    except CredentialInvalid as exc:
        return VerifyOut(status="invalid", signature_valid=False, errors=[str(exc)])
    jti = str(signed.credential.get("id", ""))
    try:
        certificate_id = UUID(jti.removeprefix("urn:uuid:"))
    except ValueError:
        return VerifyOut(status="invalid", signature_valid=True, errors=["unknown credential id"])
    record = await views.verification_record(deps.read_pool, certificate_id=certificate_id)
    if record is None:
        return VerifyOut(status="invalid", signature_valid=True,
                         errors=["no such certificate here"])
    public = views.present_public(record, today=deps.today(), base_url=deps.base_url)
    return public.model_copy(update={"signature_valid": True})


async def status_list(deps: Deps, list_ref: str) -> str:
    """Return one status list as a VC-JWT signed with the issuer's current key."""
    parsed = parse_list_id(list_ref)
    if parsed is None:
        raise NotFound("no such status list", code="status_list_not_found")
    purpose, number = parsed
    size = deps.status_list_size
    if number > await views.highest_list_number(deps.read_pool, size):
        raise NotFound("no such status list", code="status_list_not_found")
    lo = number * size
    flagged = await views.flagged_indices(deps.read_pool, purpose, lo, lo + size)
    encoded = encode_bits((i - lo for i in flagged), size)
    key, now = deps.keys.signing_key(), deps.clock.now()
    token = deps.status_lists.get(list_ref, encoded=encoded, kid=key.kid, now=now)
    if token is None:
        credential = status_list_credential(
            url=f"{deps.base_url}/api/v1/status-lists/{list_ref}", purpose=purpose,
            encoded=encoded, issuer=deps.did, now=now, ttl=deps.status_lists.ttl)
        token = vc.sign_credential(credential, key, did=deps.did)
        deps.status_lists.put(list_ref, encoded=encoded, kid=key.kid, now=now, token=token)
    return token
