"""requirements/*.lock (`make lock`), what installs from them, and the audit `make test` runs."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from deploy import audit
from deploy.lock import REQUIREMENTS, mismatches, pins
from tests.deploy.manifests import DEPLOY, REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
APP, DEV = REQUIREMENTS / "app.lock", REQUIREMENTS / "dev.lock"
# The first releases without the known denial-of-service bugs (issue 15).
PATCHED = {"aiohttp": Version("3.14.4")}


def _requirements(*groups: str) -> list[Requirement]:
    names = [*PROJECT["dependencies"]]
    for group in groups:
        names += PROJECT["optional-dependencies"][group]
    return [r for r in map(Requirement, names) if r.name != PROJECT["name"]]


@pytest.mark.parametrize(("lock", "groups"), [(APP, ()), (DEV, ("test", "dev", "bench"))])
def test_every_dependency_of_every_group_is_pinned_at_a_version_pyproject_allows(
    lock: Path, groups: tuple[str, ...]
) -> None:
    pinned = pins(lock)
    for requirement in _requirements(*groups):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in {lock}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock}: {name}=={pinned[name]} is outside {requirement.specifier}")


def test_the_image_lock_holds_the_runtime_only() -> None:
    assert not {"pytest", "mypy", "playwright", "faststream"} & set(pins(APP))
    assert pins(APP) == {name: pins(DEV)[name] for name in pins(APP)}


def test_patched_floors_are_declared_and_locked() -> None:
    declared = {str(canonicalize_name(r.name)): r.specifier for r in _requirements()}
    for name, floor in PATCHED.items():
        below = Version(f"{floor.major}.{floor.minor}.{floor.micro - 1}")
        assert not declared[name].contains(below)
        for lock in (APP, DEV):
            assert Version(pins(lock)[name]) >= floor


def test_every_pin_carries_its_hashes() -> None:
    for lock in (APP, DEV):
        blocks = lock.read_text(encoding="utf-8").split("\n")
        pinned = [i for i, line in enumerate(blocks) if "==" in line and not line.startswith(" ")]
        assert pinned
        for i in pinned:
            assert blocks[i + 1].strip().startswith("--hash=sha256:"), blocks[i]


def test_the_environment_running_the_tests_is_the_locked_one() -> None:
    assert mismatches(DEV) == []


def test_make_and_the_image_install_from_the_locks_with_hashes() -> None:
    setup = (DEPLOY / "local" / "setup.sh").read_text(encoding="utf-8")
    assert "--require-hashes -r \"$LOCK\"" in setup
    assert "LOCK=requirements/dev.lock" in setup
    assert "--no-deps -e ." in setup
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements/app.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    plan = subprocess.run(["make", "-n", "lock"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout
    assert "uv pip compile pyproject.toml" in plan
    assert "--generate-hashes" in plan
    assert "--extra dev --extra bench -o requirements/dev.lock" in plan


def test_a_known_vulnerability_fails_the_audit() -> None:
    verdict = audit.judge({"dependencies": [
        {"name": "aiohttp", "version": "3.13.2",
         "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.13.3"]}]},
        {"name": "yarl", "version": "1.25.1", "vulns": []},
    ]})
    assert verdict.exit_code == 1
    assert verdict.audited == 2
    assert audit.describe(verdict)[0] == "VULNERABLE aiohttp 3.13.2: GHSA-xxxx (fixed in 3.13.3)"


def test_packages_without_advisory_data_are_reported_as_not_audited_never_as_clean() -> None:
    verdict = audit.judge({"dependencies": [
        {"name": "yarl", "skip_reason": "Dependency not found on PyPI and could not be "
                                         "audited: yarl (1.25.1)"},
        {"name": "attrs", "version": "26.1.0", "vulns": []},
    ]})
    assert (verdict.exit_code, verdict.unaudited, verdict.audited) == (0, ("yarl",), 1)
    (line, clean) = audit.describe(verdict)
    assert line.startswith("ADVISORY DATA NOT AVAILABLE: 1 locked package(s) were NOT audited")
    assert "Dependency not found on PyPI" in line
    assert clean == "no known vulnerabilities in the 1 audited package(s)"
    nothing = audit.judge({"dependencies": [{"name": "yarl", "skip_reason": "offline"}]})
    assert not any("no known vulnerabilities" in line for line in audit.describe(nothing))


def test_the_audit_of_the_locks_says_what_it_checked_and_strict_fails_on_gaps() -> None:
    done = subprocess.run([sys.executable, "-m", "deploy.audit"], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output  # no locked version has a known vulnerability
    assert "no known vulnerabilities in the" in output or "ADVISORY DATA NOT AVAILABLE" in output
    if "ADVISORY DATA NOT AVAILABLE" in output:
        strict = subprocess.run([sys.executable, "-m", "deploy.audit", "--strict"], cwd=REPO,
                                capture_output=True, text=True, timeout=300, check=False)
        assert strict.returncode == 1


def test_make_test_runs_the_audit() -> None:
    plan = subprocess.run(["make", "-n", "test"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout
    assert "-m deploy.audit" in plan
