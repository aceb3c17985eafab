"""Audit the locked Python dependencies for known vulnerabilities (`make test` runs it).

`python -m deploy.audit` runs pip-audit on requirements/*.lock exactly as pinned (no resolution,
nothing installed) against PyPI's advisory data. A known vulnerability fails (exit 1). When the
advisory data cannot be had (no network, or the index answers nothing for a pinned version),
the audit says so loudly, names how many packages were NOT audited and exits 0, so an offline
machine can still run `make test`; `--strict` (or JIANGXIN_AUDIT_STRICT=1, for CI with network)
makes that a failure too. Never "no known vulnerabilities" for packages nobody looked up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy.gateway import REPO

LOCKS = (REPO / "requirements" / "app.lock", REPO / "requirements" / "dev.lock")
TIMEOUT_S = 180  # a black-holed network must not hold `make test` for long


@dataclass(frozen=True)
class Verdict:
    """What an audit found: vulnerable pins, pins not audited, and the pins looked at."""

    vulnerable: tuple[str, ...]
    unaudited: tuple[str, ...]
    audited: int
    reason: str = ""

    @property
    def exit_code(self) -> int:
        """Return 1 for a known vulnerability, else 0 (strictness is the caller's)."""
        return 1 if self.vulnerable else 0


def judge(report: dict[str, Any]) -> Verdict:
    """Sort pip-audit's JSON report into vulnerable, unaudited and audited packages."""
    vulnerable, unaudited, audited = [], [], 0
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            unaudited.append(dep["name"])
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            vulnerable.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    # pip-audit names the package after a colon; the reason is what comes before it.
    reasons = sorted({dep["skip_reason"].split(":")[0] for dep in report.get("dependencies", [])
                      if "skip_reason" in dep})
    reason = "; ".join(reasons)
    return Verdict(tuple(vulnerable), tuple(unaudited), audited, reason if unaudited else "")


def run_pip_audit(locks: tuple[Path, ...]) -> Verdict:
    """Run pip-audit on the lock files; a failure to fetch advisories is a Verdict, not a crash."""
    argv = [sys.executable, "-m", "pip_audit", "--disable-pip", "--progress-spinner", "off",
            "--format", "json", "--timeout", "15"]
    for lock in locks:
        argv += ["-r", str(lock)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return Verdict((), ("every package",), 0, f"pip-audit got no answer in {TIMEOUT_S}s")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Verdict((), ("every package",), 0, f"pip-audit failed: {last}")
    return judge(report)


def describe(verdict: Verdict) -> list[str]:
    """Return the lines that tell the reader what was and was not checked."""
    lines = [f"VULNERABLE {line}" for line in verdict.vulnerable]
    if verdict.unaudited:
        lines.append(
            f"ADVISORY DATA NOT AVAILABLE: {len(verdict.unaudited)} locked package(s) were NOT "
            f"audited ({verdict.reason}); {verdict.audited} were. Run `make audit` where "
            "pypi.org's JSON API answers before a release."
        )
    if verdict.audited and not verdict.vulnerable:
        lines.append(f"no known vulnerabilities in the {verdict.audited} audited package(s)")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Audit the lock files; print the verdict; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m deploy.audit", description=__doc__)
    parser.add_argument("--strict", action="store_true",
                        default=os.environ.get("JIANGXIN_AUDIT_STRICT") == "1",
                        help="fail when some package could not be audited")
    args = parser.parse_args(argv)
    verdict = run_pip_audit(LOCKS)
    for line in describe(verdict):
        loud = line.startswith(("VULNERABLE", "ADVISORY"))
        print(f"audit: {line}", file=sys.stderr if loud else sys.stdout)
    if args.strict and verdict.unaudited:
        return 1
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
