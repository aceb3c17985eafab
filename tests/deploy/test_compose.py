"""deploy/compose.yaml, checked statically (Docker does not run on the build machines)."""

from __future__ import annotations

from typing import Any

import pytest

from deploy import gateway
from services import SERVICE_NAMES
from tests.deploy.manifests import (
    DEPLOY,
    WORKDIR,
    key_files,
    load_yaml,
    settings_field,
    unknown_settings,
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed Compose file."""
    data: dict[str, Any] = load_yaml(DEPLOY / "compose.yaml")
    return data


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_runs_the_one_image_with_its_name_as_command(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    assert service["image"] == "jiangxin:latest"
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile", "target": "app"}
    assert service["command"] == [name]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_is_healthy_only_when_its_readyz_answers(
    compose: dict[str, Any], name: str
) -> None:
    port = gateway.default_ports()[name]
    service = compose["services"][name]
    assert service["expose"] == [str(port)]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_gets_its_own_database_and_json_logs(
    compose: dict[str, Any], name: str
) -> None:
    env = compose["services"][name]["environment"]
    assert unknown_settings(list(env), (name,)) == []
    databases = [key for key in env if settings_field(key, name) == "database_url"]
    assert databases == [f"JIANGXIN_{name.upper()}_DATABASE_URL"]
    assert env[databases[0]].endswith(f"@postgres:5432/jiangxin_{name}")
    assert env["JIANGXIN_LOG_FORMAT"] == "json"
    assert env["JIANGXIN_HTTP_HOST"] == "0.0.0.0"


def test_setup_prepares_every_database_and_queue_before_the_services_start(
    compose: dict[str, Any],
) -> None:
    setup = compose["services"]["setup"]
    assert "jiangxin migrate" in setup["command"][-1]
    assert "jiangxin topology" in setup["command"][-1]
    assert unknown_settings(list(setup["environment"]), SERVICE_NAMES) == []
    for name in SERVICE_NAMES:
        assert f"JIANGXIN_{name.upper()}_DATABASE_URL" in setup["environment"]
        condition = compose["services"][name]["depends_on"]["setup"]["condition"]
        assert condition == "service_completed_successfully"


def test_the_gateway_is_the_one_published_origin_and_waits_for_healthy_services(
    compose: dict[str, Any],
) -> None:
    gateway_service = compose["services"]["gateway"]
    assert gateway_service["build"]["target"] == "gateway"
    assert gateway_service["ports"] == ["${JIANGXIN_GATEWAY_PUBLISH:-8080}:8080"]
    assert {k: v["condition"] for k, v in gateway_service["depends_on"].items()} == dict.fromkeys(
        SERVICE_NAMES, "service_healthy"
    )
    for name in SERVICE_NAMES:
        assert "ports" not in compose["services"][name], f"{name} must be reached via the gateway"


def test_the_broker_has_the_management_ui_and_both_servers_have_healthchecks(
    compose: dict[str, Any],
) -> None:
    assert compose["services"]["rabbitmq"]["image"].endswith("-management")
    assert "healthcheck" in compose["services"]["rabbitmq"]
    assert "healthcheck" in compose["services"]["postgres"]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_service_reads_its_keys_from_its_own_volume_setup_wrote(
    compose: dict[str, Any], name: str
) -> None:
    assert key_files(name), f"{name} reads no key file?"
    assert compose["services"][name]["volumes"] == [f"{name}-keys:{WORKDIR}/var/keys/{name}:ro"]
    assert f"{name}-keys:{WORKDIR}/var/keys/{name}" in compose["services"]["setup"]["volumes"]
    assert "jiangxin keys" in compose["services"]["setup"]["command"][-1]
