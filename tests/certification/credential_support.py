"""Sign credentials and status lists in memory (no database) for credential tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

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
        title_zh="职业技能等级证书", holder_name="张小三", holder_id=UUID(int=5),
        course_code="YYY-04", course_title_zh="育婴员",
        course_title_en="Childcare", occupation="育婴员", work_type="育婴员", level=4,
        level_name="四级/中级工", hours=None, issued_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
        expires_on=expires_on, issuer_did=DID, issuer_name="匠心职业技能评价中心",
        verify_url=f"{BASE}/verify/7Q2M4KX9PA", base_url=BASE,
        status=status_entries(BASE, ListPosition.of(index, SIZE)),
    )


def signed(key: SigningKey, index: int = 5, *, expires_on: date | None = None) -> str:
    """Return a signed VC-JWT."""
    return vc.sign(vc.jwt_claims(vc.build_credential(facts(index, expires_on=expires_on))),
                   key, did=DID)


def document(*keys: SigningKey) -> dict[str, Any]:
    """Return the DID document of these keys."""
    return did_document(DID, keys)


def status_list_jwt(key: SigningKey, purpose: str, flagged: list[int]) -> str:
    """Return a signed status list with these indices set."""
    url = f"{BASE}/api/v1/status-lists/{purpose}-0"
    now = datetime(2026, 3, 10, tzinfo=UTC)
    credential = status_list_credential(url=url, purpose=purpose,  # type: ignore[arg-type]
                                        encoded=encode_bits(flagged, SIZE), issuer=DID, now=now)
    claims = {"iss": DID, "jti": url, "nbf": int(now.timestamp()), "vc": credential}
    return vc.sign(claims, key, did=DID)
