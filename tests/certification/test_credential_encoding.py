"""OB 3.0 credentials through the service: signed status lists, random indices, both encodings,
re-signing one credential (admin) or all of them (`jiangxin credentials upgrade`)."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from services.certification.credentials import vc
from services.certification.credentials.keys import SigningKey
from services.certification.credentials.status_list import decode_bits
from services.certification.keys import DEPS
from services.certification.repository import numbering
from shared.ids import new_id
from shared.web.keys import POOL
from tests.certification.conftest import CertApp
from tests.certification.credential_support import legacy_token, signing_key
from tests.certification.factories import completed
from tests.support.log_guard import record_output

LIST = "/api/v1/status-lists/revocation-0"


async def _issue(cert: CertApp, **kwargs: Any) -> tuple[dict[str, Any], UUID, UUID]:
    holder, trainer = new_id(), new_id()
    await cert.record(completed(user_id=holder, trainer_ids=[trainer], **kwargs))
    response = await cert.client.get("/api/v1/me/certificates",
                                     headers=cert.auth(holder, "trainee"))
    [item] = (await response.json())["items"]
    return item, holder, trainer


async def _stored(cert: CertApp, certificate_id: str) -> str:
    token: str = await cert.app[POOL].fetchval(
        "SELECT credential FROM certificates WHERE id = $1", UUID(certificate_id))
    return token


async def _make_legacy(
    cert: CertApp, certificate_id: str, *, key: SigningKey | None = None
) -> str:
    """Store the certificate's credential in the previous encoding, as older releases signed it."""
    credential = vc.credential_of(vc.unverified_claims(await _stored(cert, certificate_id)))
    deps = cert.app[DEPS]
    token = legacy_token(credential, key or deps.keys.signing_key(), did=deps.did)
    await cert.app[POOL].execute("UPDATE certificates SET credential = $2 WHERE id = $1",
                                 UUID(certificate_id), token)
    return token


async def _verify(cert: CertApp, token: str) -> dict[str, Any]:
    body: dict[str, Any] = await (await cert.client.post(
        "/api/v1/verify", json={"credential": token})).json()
    return body


def _payload(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False, "verify_exp": False})


async def test_a_status_list_is_a_signed_vc_jwt_valid_for_a_day_reused_until_it_changes(
    cert_app: CertApp,
) -> None:
    item, _, _ = await _issue(cert_app)
    first = await cert_app.client.get(LIST, headers={"Accept": "application/json"})
    assert first.content_type == "application/vc+jwt"  # no unsigned JSON form
    token = await first.text()
    header, claims = jwt.get_unverified_header(token), _payload(token)
    key = cert_app.app[DEPS].keys.signing_key()
    assert header["kid"] == f"{cert_app.app[DEPS].did}#{key.kid}"
    assert header["jwk"] == key.jwk
    assert "vc" not in claims
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert claims["iss"] == claims["issuer"] == cert_app.app[DEPS].did
    assert claims["jti"] == claims["id"] == f"http://localhost:8080{LIST}"
    valid_from = datetime.fromisoformat(claims["validFrom"])
    assert datetime.fromisoformat(claims["validUntil"]) - valid_from == timedelta(days=1)
    assert claims["exp"] - claims["nbf"] == 86_400
    assert len(decode_bits(claims["credentialSubject"]["encodedList"])) * 8 >= 131_072

    cert_app.clock.advance(hours=11)
    assert await (await cert_app.client.get(LIST)).text() == token  # same copy, same ETag
    await cert_app.client.post(f"/api/v1/certificates/{item['id']}/revoke",
                               json={"reason": "撤销"}, headers=cert_app.auth(new_id(), "admin"))
    changed = await (await cert_app.client.get(LIST)).text()
    assert changed != token
    assert datetime.fromisoformat(_payload(changed)["validFrom"]) == cert_app.clock.now()
    cert_app.clock.advance(hours=12, seconds=1)  # half its life gone: signed afresh
    renewed = _payload(await (await cert_app.client.get(LIST)).text())
    assert datetime.fromisoformat(renewed["validFrom"]) == cert_app.clock.now()


async def test_status_indices_are_drawn_at_random_and_never_twice(cert_app: CertApp) -> None:
    indices = []
    for _ in range(12):
        item, _, _ = await _issue(cert_app)
        entries = _payload(await _stored(cert_app, item["id"]))["credentialStatus"]
        assert {e["statusListCredential"].rsplit("/", 1)[1] for e in entries} \
            == {"revocation-0", "suspension-0"}
        indices.append(int(entries[0]["statusListIndex"]))
    assert len(set(indices)) == len(indices)
    assert sorted(indices) != list(range(min(indices), min(indices) + len(indices)))
    async with cert_app.app[POOL].acquire() as conn, conn.transaction():
        taken = await numbering.claim_status_index(conn, size=131_072, index=indices[0])
        fresh = await numbering.next_status_index(conn, size=131_072)
    assert taken is None
    assert fresh not in indices


async def test_the_service_still_verifies_a_credential_in_the_previous_encoding(
    cert_app: CertApp,
) -> None:
    item, _, trainer = await _issue(cert_app)
    old = await _make_legacy(cert_app, item["id"])
    assert "vc" in _payload(old)
    body = await _verify(cert_app, old)
    assert (body["signature_valid"], body["status"]) == (True, "valid")
    await cert_app.client.post(f"/api/v1/certificates/{item['id']}/suspend",
                               json={"reason": "核查"}, headers=cert_app.auth(trainer, "trainer"))
    assert (await _verify(cert_app, old))["status"] == "suspended"


async def test_an_admin_reissues_a_credential_in_the_new_encoding_same_number_and_status(
    cert_app: CertApp,
) -> None:
    item, holder, trainer = await _issue(cert_app)
    await cert_app.client.post(f"/api/v1/certificates/{item['id']}/suspend",
                               json={"reason": "核查"}, headers=cert_app.auth(trainer, "trainer"))
    old = await _make_legacy(cert_app, item["id"])
    admin = cert_app.auth(new_id(), "admin")
    url = f"/api/v1/certificates/{item['id']}/credential/reissue"

    response = await cert_app.client.post(url, headers=admin)
    assert response.status == 200
    token = (await response.json())["credential"]
    claims = _payload(token)
    assert "vc" not in claims
    assert vc.credential_of(claims) == vc.credential_of(_payload(old))  # same content
    assert await _stored(cert_app, item["id"]) == token
    after = await (await cert_app.client.get(f"/api/v1/certificates/{item['id']}",
                                             headers=cert_app.auth(holder, "trainee"))).json()
    assert (after["number"], after["status"]) == (item["number"], "suspended")
    body = await _verify(cert_app, token)
    assert (body["signature_valid"], body["status"]) == (True, "suspended")
    audit = await (await cert_app.client.get(f"/api/v1/certificates/{item['id']}/audit",
                                             headers=admin)).json()
    assert audit["items"][-1]["action"] == "credential_reissued"
    assert audit["items"][-1]["actor_role"] == "admin"


async def test_reissuing_a_credential_refuses_bad_requests_with_problem_details(
    cert_app: CertApp,
) -> None:
    item, _, trainer = await _issue(cert_app)
    pending, _, _ = await _issue(cert_app, policy="approval")
    foreign, _, _ = await _issue(cert_app)
    await _make_legacy(cert_app, foreign["id"], key=signing_key())  # not signed by our keys
    admin = cert_app.auth(new_id(), "admin")
    before = await _stored(cert_app, item["id"])
    cases = [
        (f"/api/v1/certificates/{item['id']}", cert_app.auth(trainer, "trainer"), 403,
         "role_forbidden"),
        (f"/api/v1/certificates/{new_id()}", admin, 404, "not_found"),
        ("/api/v1/certificates/not-a-uuid", admin, 404, "not_found"),
        (f"/api/v1/certificates/{pending['id']}", admin, 409, "not_issued"),
        (f"/api/v1/certificates/{foreign['id']}", admin, 409, "credential_unreadable"),
    ]
    for base, headers, status, code in cases:
        response = await cert_app.client.post(base + "/credential/reissue", headers=headers)
        assert response.status == status, (base, await response.text())
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == code
    assert await _stored(cert_app, item["id"]) == before


async def _jiangxin(cert: CertApp, *args: str) -> tuple[int | None, str]:
    env = {**os.environ,
           "JIANGXIN_CERTIFICATION_DATABASE_URL": cert.settings.database_url,
           "JIANGXIN_CERTIFICATION_SIGNING_KEY_SECRET_FILE":
               str(cert.settings.signing_key_secret_file),
           "JIANGXIN_PUBLIC_BASE_URL": cert.settings.public_base_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    record_output("jiangxin", err)
    return proc.returncode, out.decode().strip()


async def test_credentials_upgrade_re_signs_only_old_encodings_and_can_run_again(
    cert_app: CertApp,
) -> None:
    items = [(await _issue(cert_app))[0] for _ in range(5)]
    await _issue(cert_app, policy="approval")  # pending: nothing signed yet
    old = {item["id"]: await _make_legacy(cert_app, item["id"]) for item in items[:3]}
    current = {item["id"]: await _stored(cert_app, item["id"]) for item in items[3:]}
    foreign, _, _ = await _issue(cert_app)  # its stored credential is not ours: left alone
    await _make_legacy(cert_app, foreign["id"], key=signing_key())
    untouched = await _stored(cert_app, foreign["id"])

    assert await _jiangxin(cert_app, "credentials", "upgrade", "--batch", "2") \
        == (1, "upgraded 3, already current 2, unreadable 1")
    assert await _stored(cert_app, foreign["id"]) == untouched
    for item in items:
        token = await _stored(cert_app, item["id"])
        assert "vc" not in _payload(token)
        assert (await _verify(cert_app, token))["status"] == "valid"
        if item["id"] in current:
            assert token == current[item["id"]]  # untouched
        else:
            assert vc.credential_of(_payload(token)) == vc.credential_of(_payload(old[item["id"]]))
    await cert_app.app[POOL].execute("UPDATE certificates SET credential = $2 WHERE id = $1",
                                     UUID(foreign["id"]), current[items[3]["id"]])
    assert await _jiangxin(cert_app, "credentials", "upgrade") \
        == (0, "upgraded 0, already current 6, unreadable 0")
    reissued = await cert_app.app[POOL].fetchval(
        "SELECT count(*) FROM certificate_audit WHERE action = 'credential_reissued'")
    assert reissued == 3
