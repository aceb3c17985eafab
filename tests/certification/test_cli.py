"""`jiangxin verify`: offline with files, or fetching the DID document and lists from URLs."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from services.certification.credentials import vc
from services.certification.keys import DEPS
from shared.ids import new_id
from tests.certification.conftest import CertApp
from tests.certification.credential_support import legacy_token
from tests.certification.factories import completed
from tests.support.log_guard import record_output


async def _jiangxin(*args: str) -> tuple[int, dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    record_output("jiangxin", err)  # its log; stdout is the command's answer
    assert proc.returncode is not None
    return proc.returncode, json.loads(out or err)


async def test_verify_command_works_offline_and_sees_revocation(
    cert_app: CertApp, tmp_path: Path
) -> None:
    holder, trainer = new_id(), new_id()
    await cert_app.record(completed(user_id=holder, trainer_ids=[trainer]))
    client = cert_app.client
    [item] = (await (await client.get(
        "/api/v1/me/certificates", headers=cert_app.auth(holder, "trainee"))).json())["items"]
    credential = await (await client.get(f"/api/v1/certificates/{item['id']}/credential",
                                         headers=cert_app.auth(holder, "trainee"))).json()
    (tmp_path / "credential.json").write_text(json.dumps(credential))
    (tmp_path / "did.json").write_text(await (await client.get("/.well-known/did.json")).text())

    async def save_lists() -> list[str]:
        args = []
        for purpose in ("revocation", "suspension"):
            path = tmp_path / f"{purpose}.jwt"
            path.write_text(await (await client.get(f"/api/v1/status-lists/{purpose}-0")).text())
            args += ["--status-list", str(path)]
        return args

    # The lists are valid for a day from the app's clock: verify as of then.
    at = ["--at", cert_app.clock.now().isoformat()]
    offline = ["verify", str(tmp_path / "credential.json"), "--offline",
               "--did-document", str(tmp_path / "did.json"), *at]
    code, report = await _jiangxin(*offline, *await save_lists())
    assert code == 0
    assert report["status"] == "valid"
    assert report["signature_valid"]
    assert report["encoding"] == "ob3"

    token = credential["credential"]
    deps = cert_app.app[DEPS]
    (tmp_path / "old.jwt").write_text(legacy_token(
        vc.credential_of(vc.unverified_claims(token)), deps.keys.signing_key(), did=deps.did))
    code, report = await _jiangxin("verify", str(tmp_path / "old.jwt"), *offline[2:],
                                   *await save_lists())
    assert (code, report["status"], report["encoding"]) == (0, "valid", "vc-1.1-wrapper")

    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    (tmp_path / "tampered.jwt").write_text(tampered)
    code, report = await _jiangxin("verify", str(tmp_path / "tampered.jwt"), "--offline",
                                   "--did-document", str(tmp_path / "did.json"), "--no-status")
    assert code == 1
    assert report["signature_valid"] is False

    await client.post(f"/api/v1/certificates/{item['id']}/revoke", json={"reason": "撤销"},
                      headers=cert_app.auth(new_id(), "admin"))
    code, report = await _jiangxin(*offline, *await save_lists())
    assert code == 1
    assert report["status"] == "revoked"

    served = str(client.make_url(""))
    code, report = await _jiangxin(
        "verify", str(tmp_path / "credential.json"),
        "--did-document", f"{served}/.well-known/did.json",
        "--status-list", f"{served}/api/v1/status-lists/revocation-0",
        "--status-list", f"{served}/api/v1/status-lists/suspension-0", *at)
    assert code == 1
    assert report["status"] == "revoked"
    assert report["signature_valid"]


async def test_credential_keys_rotate_adds_a_key_and_retires_the_old_one(
    cert_app: CertApp,
) -> None:
    env = {**os.environ,
           "JIANGXIN_CERTIFICATION_DATABASE_URL": cert_app.settings.database_url,
           "JIANGXIN_CERTIFICATION_SIGNING_KEY_SECRET_FILE":
               str(cert_app.settings.signing_key_secret_file)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "credential-keys", "rotate", "--retire-old",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    record_output("jiangxin", err)  # its log; stdout is the command's answer
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == "new signing key: key-2"
    assert lines[1].startswith("key-1")
    assert "retired" in lines[1]
    assert lines[2].startswith("key-2")
    assert lines[2].endswith("active")
    document = await (await cert_app.client.get("/.well-known/did.json")).json()
    # Newest first: the key that signs now (and signs the status lists) leads the document.
    assert [m["id"].split("#")[1] for m in document["verificationMethod"]] == ["key-2", "key-1"]
