"""deploy/local/setup.sh (what `make run` and `make test` do first) and the make entry points."""

from __future__ import annotations

import os
import subprocess

from tests.deploy.manifests import DEPLOY, REPO, free_port
from tests.support.infra import AMQP_URL, PG_BASE

SETUP = DEPLOY / "local" / "setup.sh"


def _servers(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SETUP), "servers"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_setup_accepts_the_running_servers() -> None:
    result = _servers(JIANGXIN_TEST_PG=PG_BASE, JIANGXIN_TEST_AMQP=AMQP_URL)
    assert result.returncode == 0, result.stderr


def test_setup_fails_and_says_how_to_get_servers_it_cannot_reach() -> None:
    # 127.0.0.2 is loopback but not "this machine's servers": nothing is started or installed.
    result = _servers(
        JIANGXIN_TEST_PG=f"postgresql://postgres@127.0.0.2:{free_port()}",
        JIANGXIN_TEST_AMQP=f"amqp://guest:guest@127.0.0.2:{free_port()}/",
    )
    assert result.returncode == 1
    assert "PostgreSQL is not reachable at 127.0.0.2" in result.stderr
    assert "RabbitMQ is not reachable at 127.0.0.2" in result.stderr
    assert "sudo apt-get install -y postgresql rabbitmq-server" in result.stderr
    assert "docker compose -f deploy/compose.yaml up -d postgres rabbitmq" in result.stderr


def test_setup_fails_when_postgres_refuses_the_login() -> None:
    result = _servers(
        JIANGXIN_TEST_PG=PG_BASE.replace("postgres@", "no_such_role_jx@"),
        JIANGXIN_TEST_AMQP=AMQP_URL,
    )
    assert result.returncode == 1
    assert "refuses our login" in result.stderr


def test_ci_runs_make_test_and_make_test_runs_lint_types_and_every_test() -> None:
    assert os.access(REPO / ".ci" / "run", os.X_OK)
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    plan = subprocess.run(
        ["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "deploy/local/setup.sh test" in plan
    assert "ruff check ." in plan
    assert "mypy" in plan
    assert "cd web && npm run --silent lint" in plan  # tsc and eslint (web/package.json)
    assert "pytest -p no:cacheprovider -p deploy.local.pytest_no_skips" in plan
