"""VC-JWT, did:web and Bitstring Status Lists, verified offline."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, date, datetime, timedelta

import jwt

from services.certification.credentials import vc
from services.certification.credentials.did import did_document_url, did_web
from services.certification.credentials.keys import SigningKey
from services.certification.credentials.status_list import bit_is_set, decode_bits, encode_bits
from services.certification.credentials.verify import verify_credential
from tests.certification.credential_support import (
    DID,
    SIZE,
    document,
    legacy_signed,
    signed,
    signing_key,
    status_list_jwt,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


REVOCATION = "http://localhost:8080/api/v1/status-lists/revocation-0"
SUSPENSION = "http://localhost:8080/api/v1/status-lists/suspension-0"


def _lists(
    key: SigningKey, revoked: list[int] = [], suspended: list[int] = [],  # noqa: B006
    *, signed_at: datetime = NOW - timedelta(hours=1),
) -> dict[str, str]:
    return {
        REVOCATION: status_list_jwt(key, "revocation", revoked, now=signed_at),
        SUSPENSION: status_list_jwt(key, "suspension", suspended, now=signed_at),
    }


def test_did_web_encodes_the_port_and_points_at_the_well_known_document() -> None:
    assert did_web("http://localhost:8080") == DID
    assert did_web("https://Certs.Example.org/") == "did:web:certs.example.org"
    assert did_document_url(DID) == "https://localhost:8080/.well-known/did.json"


def test_credential_is_an_open_badge_whose_members_are_the_jwt_payload() -> None:
    key = signing_key()
    token = signed(key)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, key.public, algorithms=["EdDSA"])
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": f"{DID}#key-1", "jwk": key.jwk}
    assert "vc" not in claims
    assert claims["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["iss"] == claims["issuer"]["id"] == DID
    assert claims["jti"] == claims["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == datetime.fromisoformat(claims["validFrom"]).timestamp()
    assert "exp" not in claims
    assert "validUntil" not in claims
    purposes = {e["statusPurpose"] for e in claims["credentialStatus"]}
    assert purposes == {"revocation", "suspension"}
    assert "460100199001011234" not in json.dumps(claims)


def test_a_credential_with_a_validity_period_expires_at_its_valid_until() -> None:
    key = signing_key()
    claims = jwt.decode(signed(key, expires_on=date(2029, 3, 9)), key.public,
                        algorithms=["EdDSA"], options={"verify_exp": False})
    assert claims["validUntil"] == "2029-03-10T00:00:00+08:00"
    assert claims["exp"] == datetime.fromisoformat(claims["validUntil"]).timestamp()


def test_a_credential_in_the_previous_encoding_still_verifies() -> None:
    key = signing_key()
    result = verify_credential(legacy_signed(key), document(key),
                               fetch_list=_lists(key).__getitem__, now=NOW)
    assert result.status == "valid"
    assert result.encoding == "vc-1.1-wrapper"
    assert result.credential is not None
    assert "OpenBadgeCredential" in result.credential["type"]
    revoked = verify_credential(legacy_signed(key), document(key),
                                fetch_list=_lists(key, revoked=[5]).__getitem__, now=NOW)
    assert revoked.status == "revoked"


def test_a_header_jwk_that_is_not_the_key_its_kid_names_is_refused() -> None:
    key, other = signing_key(), signing_key()
    claims = jwt.decode(signed(key), key.public, algorithms=["EdDSA"])
    assert key.private is not None
    token = jwt.encode(claims, key.private, algorithm="EdDSA",
                       headers={"kid": f"{DID}#key-1", "jwk": other.jwk})
    result = verify_credential(token, document(key), fetch_list=None, now=NOW)
    assert result.status == "invalid"
    assert "jwk" in result.errors[0]


def test_registered_claims_that_disagree_with_the_credential_are_refused() -> None:
    key = signing_key()
    claims = jwt.decode(signed(key), key.public, algorithms=["EdDSA"])
    for change in ({"jti": "urn:uuid:00000000-0000-0000-0000-000000000001"},
                   {"sub": "urn:uuid:00000000-0000-0000-0000-000000000002"},
                   {"iss": "did:web:elsewhere.example"}):
        token = vc.sign({**claims, **change}, key, did=DID)
        result = verify_credential(token, document(key), fetch_list=None, now=NOW)
        assert result.status == "invalid", change


def test_credential_verifies_offline_and_fails_after_one_byte_changes() -> None:
    key = signing_key()
    token = signed(key)
    lists = _lists(key)
    assert verify_credential(token, document(key), fetch_list=lists.__getitem__,
                             now=NOW).status == "valid"
    for position in (10, len(token) // 2, len(token) - 3):
        flipped = "A" if token[position] != "A" else "B"
        tampered = token[:position] + flipped + token[position + 1:]
        result = verify_credential(tampered, document(key), fetch_list=lists.__getitem__,
                                   now=NOW)
        assert not result.signature_valid
        assert result.status == "invalid"


def test_credential_from_another_key_is_rejected() -> None:
    result = verify_credential(signed(signing_key()), document(signing_key()), fetch_list=None,
                               now=NOW)
    assert not result.signature_valid


def test_credential_reads_revoked_or_suspended_from_the_status_lists() -> None:
    key = signing_key()
    token = signed(key, index=5)
    revoked = _lists(key, revoked=[5])
    suspended = _lists(key, suspended=[5])
    others = _lists(key, revoked=[4, 6], suspended=[7])
    doc = document(key)
    assert verify_credential(token, doc, fetch_list=revoked.__getitem__, now=NOW).status \
        == "revoked"
    assert verify_credential(token, doc, fetch_list=suspended.__getitem__, now=NOW).status \
        == "suspended"
    assert verify_credential(token, doc, fetch_list=others.__getitem__, now=NOW).status \
        == "valid"


def test_credential_past_its_validity_reads_expired() -> None:
    key = signing_key()
    token = signed(key, expires_on=date(2026, 5, 31))
    result = verify_credential(token, document(key), fetch_list=None, now=NOW)
    assert result.signature_valid
    assert result.status == "expired"


def test_old_credentials_still_verify_after_key_rotation() -> None:
    old, new = signing_key(1, retired=True), signing_key(2)
    before = signed(old)
    after = signed(new)
    doc = document(old, new)
    assert verify_credential(before, doc, fetch_list=None, now=NOW).status == "valid"
    assert verify_credential(after, doc, fetch_list=None, now=NOW).status == "valid"
    assert jwt.get_unverified_header(after)["kid"].endswith("#key-2")


def test_a_stale_unsigned_foreign_or_misplaced_status_list_makes_the_credential_invalid() -> None:
    key, stranger = signing_key(), signing_key()
    token = signed(key, index=5)
    fresh = _lists(key)
    stale = _lists(key, signed_at=NOW - timedelta(days=1, seconds=1))
    unsigned = {**fresh, REVOCATION: json.dumps(
        vc.credential_of(jwt.decode(fresh[REVOCATION], options={"verify_signature": False})))}
    foreign = {**fresh, REVOCATION: _lists(stranger)[REVOCATION]}
    swapped = {REVOCATION: fresh[SUSPENSION], SUSPENSION: fresh[SUSPENSION]}
    for lists, why in ((stale, "valid only until"), (unsigned, "not a signed VC-JWT"),
                       (foreign, "is not the key its kid names"),
                       (swapped, "not the one the credential names")):
        result = verify_credential(token, document(key), fetch_list=lists.__getitem__, now=NOW)
        assert result.signature_valid
        assert result.status == "invalid"
        assert why in result.errors[0], result.errors


def test_status_list_is_16_kb_of_bits_gzip_base64url_with_multibase_prefix() -> None:
    encoded = encode_bits([0, 9, SIZE - 1], SIZE)
    assert encoded.startswith("u")
    assert "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 == SIZE >= 131_072
    bits = decode_bits(encoded)
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert [i for i in (0, 1, 9, 10, SIZE - 1) if bit_is_set(bits, i)] == [0, 9, SIZE - 1]
