"""Run the npm verifier (did-jwt-vc, installed once under var/) on a credential."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.node import npm_installed, run_node

HERE = Path(__file__).parent / "interop"


def installed_verifier() -> Path:
    """Return a folder with did-jwt-vc installed (npm install only when package.json changed)."""
    return npm_installed(HERE)


def node_verify(folder: Path, document: dict[str, Any], token: str, work: Path) -> dict[str, Any]:
    """Run did-jwt-vc's verifyCredential; return its report and whether node said verified."""
    (work / "did.json").write_text(json.dumps(document))
    (work / "credential.jwt").write_text(token)
    done = run_node(folder, "verify.mjs", str(work / "did.json"), str(work / "credential.jwt"))
    report: dict[str, Any] = json.loads(done.stdout)
    report["exit_code"] = done.returncode
    return report
