"""Key files are readable by their owner only from the moment they exist."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.certification.deps import read_fernet
from services.cli import services
from shared.cli import make_keys
from shared.private_files import create_private_file

PUBLIC = {"jwt-signing.pub.pem"}


@pytest.fixture
def stopped_before_any_chmod(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A permissive umask, and a process that dies before any chmod after a file is written."""

    def die(*_args: object, **_kwargs: object) -> None:
        raise SystemExit("stopped between writing a key and chmod")

    monkeypatch.setattr(os, "chmod", die)
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_jiangxin_keys_creates_every_secret_key_file_0600_from_the_start(
    tmp_path: Path, stopped_before_any_chmod: None
) -> None:
    with contextlib.suppress(SystemExit):
        make_keys(tmp_path, services())
    made = {p.name: _mode(p) for p in tmp_path.rglob("*") if p.is_file()}
    assert {_mode(p) for p in tmp_path.iterdir()} == {0o700}  # each service's folder
    assert {name for name in made if name not in PUBLIC} == {
        "jwt-signing.pem", "pii-transport.key", "pii-at-rest.key", "credential-signing.key"}
    assert {name: mode for name, mode in made.items() if name not in PUBLIC} == dict.fromkeys(
        made.keys() - PUBLIC, 0o600)


def test_a_key_the_certification_service_creates_is_0600_from_the_start(
    tmp_path: Path, stopped_before_any_chmod: None
) -> None:
    with contextlib.suppress(SystemExit):
        read_fernet(tmp_path / "keys" / "credential-signing.key", create=True)
    assert _mode(tmp_path / "keys" / "credential-signing.key") == 0o600


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    assert create_private_file(key, b"first")
    assert not create_private_file(key, b"second")
    assert key.read_bytes() == b"first"
    previous = os.umask(0)
    try:
        assert create_private_file(tmp_path / "other.key", b"x")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "other.key") == 0o600
