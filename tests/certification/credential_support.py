"""Sign credentials and status lists in memory (no database) for credential tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from services.certification.credentials import vc
from services.certification.credentials.did import did_document
from services.certification.credentials.keys import SigningKey, new_private_key
from services.certification.credentials.status_list import (
    ListPosition,
    encode_bits,
    status_entries,
    status_list_credential,
)

DID = "did:web:localhost%3A8080"
BASE = "http://localhost:8080"
SIZE = 131_072


def signing_key(seq: int = 1, *, retired: bool = False) -> SigningKey:
    """Return a fresh key `key-<seq>`."""
    private = new_private_key()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return SigningKey(kid=f"key-{seq}", seq=seq, public=private.public_key(), private=private,
                      created_at=now, retired_at=now if retired else None)


def facts(index: int = 5, *, expires_on: date | None = None) -> vc.CredentialFacts:
    """Return the facts of one skill certificate."""
    return vc.CredentialFacts(
        certificate_id=UUID(int=index + 1000), number="S000036000123264000042",
        kind="skill_level", title_zh="职业技能等级证书", holder_name="张小三",
        holder_id=UUID(int=5),
        course_code="YYY-04", course_title_zh="育婴员",
        course_title_en="Childcare", occupation="育婴员", work_type="育婴员", level=4,
        level_name="四级/中级工", hours=None, issued_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
        expires_on=expires_on, issuer_did=DID, issuer_name="匠心职业技能评价中心",
        verify_url=f"{BASE}/verify/7Q2M4KX9PA", base_url=BASE,
        status=status_entries(BASE, ListPosition.of(index, SIZE)),
    )


def signed(key: SigningKey, index: int = 5, *, expires_on: date | None = None) -> str:
    """Return a signed OB 3.0 VC-JWT."""
    return vc.sign_credential(vc.build_credential(facts(index, expires_on=expires_on)), key,
                              did=DID)


def legacy_token(credential: dict[str, Any], key: SigningKey, *, did: str = DID) -> str:
    """Return a credential in the previous encoding: a VC 1.1 `vc` claim, header without jwk."""
    issued = int(datetime.fromisoformat(credential["validFrom"]).timestamp())
    claims = {"iss": did, "jti": credential["id"], "nbf": issued, "iat": issued,
              "vc": credential}
    subject = credential["credentialSubject"].get("id")
    if subject:
        claims["sub"] = subject
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    assert key.private is not None
    return jwt.encode(claims, key.private, algorithm="EdDSA",
                      headers={"kid": f"{did}#{key.kid}", "typ": "JWT"})


def legacy_signed(key: SigningKey, index: int = 5) -> str:
    """Return a credential signed in the previous encoding."""
    return legacy_token(vc.build_credential(facts(index)), key)


def document(*keys: SigningKey) -> dict[str, Any]:
    """Return the DID document of these keys."""
    return did_document(DID, keys)


LIST_SIGNED_AT = datetime(2026, 3, 10, tzinfo=UTC)


def status_list_jwt(
    key: SigningKey, purpose: str, flagged: list[int], *, now: datetime = LIST_SIGNED_AT
) -> str:
    """Return a signed status list with these indices set, valid for a day from `now`."""
    url = f"{BASE}/api/v1/status-lists/{purpose}-0"
    credential = status_list_credential(url=url, purpose=purpose,  # type: ignore[arg-type]
                                        encoded=encode_bits(flagged, SIZE), issuer=DID, now=now,
                                        ttl=timedelta(days=1))
    return vc.sign_credential(credential, key, did=DID)
