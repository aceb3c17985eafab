"""The lock files requirements/*.lock (written by `make lock` with uv): read them, compare them.

`python -m deploy.lock check` exits 1 when this environment's packages differ from
requirements/dev.lock (setup.sh uses it to carry on offline when the venv already matches).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"
# A pinned line of uv's output: `name==version ; marker \` (the hashes follow on their own lines).
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*==[^\s\\]+(?:\s*;[^\\]+)?)")


def pins(lock: Path) -> dict[str, str]:
    """Return {canonical name: version} of the pins that apply to this interpreter."""
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            requirement = Requirement(match[1].strip())
            if requirement.marker is None or requirement.marker.evaluate():
                (spec,) = requirement.specifier
                found[str(canonicalize_name(requirement.name))] = spec.version
    return found


def mismatches(lock: Path) -> list[str]:
    """Return the pins this environment does not have at the locked version."""
    installed = {str(canonicalize_name(d.metadata["Name"])): d.version
                 for d in importlib.metadata.distributions()}
    return [f"{name}=={version} (installed: {installed.get(name, 'none')})"
            for name, version in sorted(pins(lock).items()) if installed.get(name) != version]


def main(argv: list[str] | None = None) -> int:
    """Compare this environment with a lock file."""
    parser = argparse.ArgumentParser(prog="python -m deploy.lock")
    parser.add_argument("action", choices=["check"])
    parser.add_argument("--lock", type=Path, default=REQUIREMENTS / "dev.lock")
    args = parser.parse_args(argv)
    wrong = mismatches(args.lock)
    for line in wrong:
        print(f"not as locked: {line}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
