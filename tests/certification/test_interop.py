"""A verifier from another ecosystem (did-jwt-vc on Node.js) accepts our credentials."""

from __future__ import annotations

from pathlib import Path

from shared.ids import new_id
from tests.certification.conftest import CertApp
from tests.certification.factories import completed
from tests.certification.interop_node import installed_verifier, node_verify


async def test_did_jwt_vc_accepts_our_credential_and_rejects_a_tampered_one(
    cert_app: CertApp, tmp_path: Path
) -> None:
    folder = installed_verifier()
    holder = new_id()
    await cert_app.record(completed(user_id=holder, pii=cert_app.pii))
    [item] = (await (await cert_app.client.get(
        "/api/v1/me/certificates", headers=cert_app.auth(holder, "trainee"))).json())["items"]
    token = (await (await cert_app.client.get(
        f"/api/v1/certificates/{item['id']}/credential",
        headers=cert_app.auth(holder, "trainee"))).json())["credential"]
    document = await (await cert_app.client.get("/.well-known/did.json")).json()

    report = node_verify(folder, document, token, tmp_path)
    assert report["exit_code"] == 0, report
    assert report["vc2"]["verified"] is True
    assert report["vc2"]["issuer"] == "did:web:localhost%3A8080"
    assert report["vc2"]["kid"] == "did:web:localhost%3A8080#key-1"
    assert "OpenBadgeCredential" in report["vc2"]["type"]
    # Without the VC 2.0 allowance, did-jwt-vc fails only on its VC 1.1 context check.
    assert report["strict"]["verified"] is False
    assert "@context" in report["strict"]["error"]

    header, payload, signature = token.split(".")
    index = len(signature) // 2
    forged = signature[:index] + ("A" if signature[index] != "A" else "B") + signature[index + 1:]
    rejected = node_verify(folder, document, f"{header}.{payload}.{forged}", tmp_path)
    assert rejected["exit_code"] == 1
    assert rejected["vc2"]["verified"] is False
    assert "signature" in rejected["vc2"]["error"].lower()
