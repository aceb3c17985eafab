"""deploy/Dockerfile and its entrypoint: one image whose command picks the service."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from deploy import gateway
from services import SERVICE_NAMES
from tests.deploy.manifests import DEPLOY, REPO, WORKDIR

ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"


def _stages(text: str) -> dict[str, str]:
    parts = re.split(r"^FROM \S+ AS (\S+)\n", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _run_entrypoint(tmp_path: Path, *args: str) -> str:
    # A stand-in `python` on PATH shows what the entrypoint would execute.
    (tmp_path / "python").write_text('#!/bin/sh\necho "python $*"\n', encoding="utf-8")
    (tmp_path / "python").chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_image_has_an_app_and_a_gateway_stage() -> None:
    stages = _stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    assert {"app", "web", "gateway"} <= set(stages)
    exposed = re.search(r"^EXPOSE (.+)$", stages["app"], flags=re.MULTILINE)
    assert exposed is not None
    assert sorted(map(int, exposed.group(1).split())) == sorted(gateway.default_ports().values())
    assert "USER 10001" in stages["app"]
    assert f"WORKDIR {WORKDIR}\n" in stages["app"]
    assert "JIANGXIN_LOG_FORMAT=json" in stages["app"]
    assert "COPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf" in stages["gateway"]
    assert f"EXPOSE {gateway.GATEWAY_PORT}" in stages["gateway"]


def test_the_entrypoint_starts_the_named_service(tmp_path: Path) -> None:
    for name in SERVICE_NAMES:
        assert _run_entrypoint(tmp_path, name) == f"python -m services.{name}"


def test_the_entrypoint_runs_any_other_command_as_given(tmp_path: Path) -> None:
    assert _run_entrypoint(tmp_path, "echo", "jiangxin", "migrate") == "jiangxin migrate"


def test_the_entrypoint_is_executable_and_local_state_stays_out_of_the_image() -> None:
    assert os.access(ENTRYPOINT, os.X_OK)
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    local = {".git", ".venv", "var", "deploy/k8s/keys", "deploy/k8s/notification.env"}
    assert local <= set(ignored)
