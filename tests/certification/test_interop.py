"""An independent Open Badges 3.0 verifier accepts our credentials: openbadgeslib's OB3Verifier
(PyPI), resolving our did:web and status lists over HTTPS from the running service, as it
would on the internet, with every check on (signature, kid, iss/jti/sub/nbf, validity,
status lists and their own signatures and validUntil).

One certificate of each kind issued through the real services (results released in
enrollment, over RabbitMQ, approved by an examiner), accepted, then refused once suspended,
revoked, tampered with or signed with a foreign key:
tests/integration/test_certificates_across_services.py. Here, results go straight to the
certification handler, for the verifier's finer refusals, old encodings and key rotation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import jwt
import pytest
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier
from openbadgeslib.util import download_file
from openbadgeslib.verify import issuer_did_from_token

from services.certification.credentials import vc
from services.certification.credentials.keys import SigningKey, new_private_key
from services.certification.handlers.keys import load_keys, rotate
from services.certification.keys import DEPS
from shared.auth import TokenIssuer
from shared.ids import new_id
from shared.web.keys import POOL
from tests.certification.conftest import CertApp
from tests.certification.credential_support import legacy_token
from tests.certification.factories import completed, settings_for
from tests.certification.https_app import https_cert_app
from tests.support.infra import unique_name

# openbadgeslib's own downloader (HTTPS only, TLS verified, size and time capped). Its SSRF
# guard refuses loopback addresses unless told the issuer is a private deployment: ours runs
# on this machine, so allow_private=True; nothing else is relaxed.
DOWNLOAD = partial(download_file, allow_private=True)


def ob3_verify(token: str) -> Any:
    """Verify as openbadgeslib's `verify_badge` does for a JWT: resolve the issuer's did:web."""
    verifier = OB3Verifier.for_issuer_did(issuer_did_from_token(token), download=DOWNLOAD)
    return verifier.verify(token, check_status=True, verify_status_list=True, download=DOWNLOAD)


async def refused(token: str) -> str:
    """Return why OB3Verifier refuses a token (fails the test if it accepts it)."""
    with pytest.raises(OB3VerificationError) as caught:
        await asyncio.to_thread(ob3_verify, token)
    return str(caught.value)


@pytest.fixture
async def served(
    pg_dsn: str, cert_keys: Path, issuer: TokenIssuer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[CertApp]:
    """The certification service at https://localhost:<port>, its CA trusted by urllib."""
    namespace = unique_name("jxcert").replace("_", "-")
    async with https_cert_app(
        # A registered evaluation organisation: it issues both kinds of certificate.
        lambda base: settings_for(pg_dsn, namespace, cert_keys, public_base_url=base,
                                  assessment_body=True),
        issuer, tmp_path,
    ) as cert:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        yield cert


async def _issue(cert: CertApp, kind: str = "training") -> tuple[str, str, Any]:
    """Issue one certificate (a skill-level one approved by an examiner through the API);
    return (certificate id, its credential, a trainer's headers)."""
    holder, trainer = new_id(), new_id()
    await cert.record(completed(user_id=holder, trainer_ids=[trainer], pii=cert.pii,
                                kind=kind))  # type: ignore[arg-type]
    [item] = (await (await cert.client.get(
        "/api/v1/me/certificates", headers=cert.auth(holder, "trainee"))).json())["items"]
    if item["status"] == "pending":
        approved = await cert.client.post(f"/api/v1/certificates/{item['id']}/approve",
                                          headers=cert.auth(new_id(), "examiner"))
        assert approved.status == 200
    token = (await (await cert.client.get(
        f"/api/v1/certificates/{item['id']}/credential",
        headers=cert.auth(holder, "trainee"))).json())["credential"]
    return item["id"], token, cert.auth(trainer, "trainer")


@pytest.mark.parametrize("kind", ["training", "skill_level"])
async def test_ob3_verifier_refuses_a_tampered_and_a_wrongly_keyed_credential(
    served: CertApp, kind: str,
) -> None:
    _, token, _ = await _issue(served, kind)
    header, _payload, signature = token.split(".")
    claims = vc.unverified_claims(token)
    altered = vc.sign({**claims, "name": "高级技师 S0000"}, served.app[DEPS].keys.signing_key(),
                      did=served.app[DEPS].did).split(".")[1]
    assert "Invalid signature" in await refused(f"{header}.{altered}.{signature}")

    private = new_private_key()
    stranger = SigningKey(kid="key-1", seq=1, public=private.public_key(), private=private,
                          created_at=datetime.now(UTC))
    forged = vc.sign(claims, stranger, did=served.app[DEPS].did)  # our DID and kid, not our key
    assert "Invalid signature" in await refused(forged)
    unknown = jwt.encode(claims, private, algorithm="EdDSA",
                         headers={"kid": f"{served.app[DEPS].did}#key-9"})
    assert "no verificationMethod" in await refused(unknown)


async def test_a_credential_in_the_previous_encoding_passes_ob3_verifier_once_reissued(
    served: CertApp,
) -> None:
    certificate_id, token, _ = await _issue(served)
    deps = served.app[DEPS]
    old = legacy_token(vc.credential_of(vc.unverified_claims(token)), deps.keys.signing_key(),
                       did=deps.did)
    await served.app[POOL].execute("UPDATE certificates SET credential = $2 WHERE id = $1::uuid",
                                   certificate_id, old)
    assert "not an OpenBadgeCredential" in await refused(old)
    response = await served.client.post(
        f"/api/v1/certificates/{certificate_id}/credential/reissue",
        headers=served.auth(new_id(), "admin"))
    reissued = (await response.json())["credential"]
    assert (await asyncio.to_thread(ob3_verify, reissued)).id == f"urn:uuid:{certificate_id}"


async def test_after_a_key_rotation_ob3_verifier_accepts_old_and_new_credentials(
    served: CertApp,
) -> None:
    _, before, _ = await _issue(served)
    pool, deps = served.app[POOL], served.app[DEPS]
    await rotate(pool, deps.signing_secret, retire_old=True)
    deps.keys.replace(await load_keys(pool, deps.signing_secret))
    _, after, _ = await _issue(served)
    assert jwt.get_unverified_header(before)["kid"].endswith("#key-1")
    assert jwt.get_unverified_header(after)["kid"].endswith("#key-2")
    for token in (before, after):  # the status lists are signed with key-2 now
        await asyncio.to_thread(ob3_verify, token)
