"""Install the npm verifier once under var/ (cached) and run it on a credential."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "interop"
ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "interop-node"


def installed_verifier() -> Path:
    """Return a folder with did-jwt-vc installed (npm install only when package.json changed)."""
    manifest = (HERE / "package.json").read_bytes()
    stamp = CACHE / ".installed"
    digest = hashlib.sha256(manifest).hexdigest()
    if not (stamp.exists() and stamp.read_text() == digest):
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / "package.json").write_bytes(manifest)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CACHE, check=True, timeout=240,
        )
        stamp.write_text(digest)
    shutil.copy(HERE / "verify.mjs", CACHE / "verify.mjs")
    return CACHE


def node_verify(folder: Path, document: dict[str, Any], token: str, work: Path) -> dict[str, Any]:
    """Run did-jwt-vc's verifyCredential; return its report and whether node said verified."""
    (work / "did.json").write_text(json.dumps(document))
    (work / "credential.jwt").write_text(token)
    done = subprocess.run(
        ["node", str(folder / "verify.mjs"), str(work / "did.json"), str(work / "credential.jwt")],
        cwd=folder, capture_output=True, text=True, timeout=60,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    report["exit_code"] = done.returncode
    return report
