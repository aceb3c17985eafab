"""VC-JWT, did:web and Bitstring Status Lists, verified offline."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, date, datetime

import jwt

from services.certification.credentials.did import did_document_url, did_web
from services.certification.credentials.status_list import bit_is_set, decode_bits, encode_bits
from services.certification.credentials.verify import verify_credential
from tests.certification.credential_support import (
    DID,
    SIZE,
    document,
    signed,
    signing_key,
    status_list_jwt,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _lists(key: object, revoked: list[int] = [], suspended: list[int] = []) -> dict[str, str]:  # noqa: B006
    return {
        "http://localhost:8080/api/v1/status-lists/revocation-0":
            status_list_jwt(key, "revocation", revoked),  # type: ignore[arg-type]
        "http://localhost:8080/api/v1/status-lists/suspension-0":
            status_list_jwt(key, "suspension", suspended),  # type: ignore[arg-type]
    }


def test_did_web_encodes_the_port_and_points_at_the_well_known_document() -> None:
    assert did_web("http://localhost:8080") == DID
    assert did_web("https://Certs.Example.org/") == "did:web:certs.example.org"
    assert did_document_url(DID) == "https://localhost:8080/.well-known/did.json"


def test_credential_is_an_open_badge_in_the_vc_2_data_model() -> None:
    key = signing_key()
    token = signed(key)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, key.public, algorithms=["EdDSA"])
    credential = claims["vc"]
    assert header["alg"] == "EdDSA"
    assert header["kid"] == f"{DID}#key-1"
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in credential["type"]
    assert claims["iss"] == credential["issuer"]["id"] == DID
    assert claims["jti"] == credential["id"]
    purposes = {e["statusPurpose"] for e in credential["credentialStatus"]}
    assert purposes == {"revocation", "suspension"}
    assert "460100199001011234" not in json.dumps(credential)  # only a salted hash


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
