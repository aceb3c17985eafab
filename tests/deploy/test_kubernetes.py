"""deploy/k8s, checked statically: probes, ports, settings, scaling and the gateway's view."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from deploy import gateway
from services import SERVICE_NAMES
from tests.deploy.manifests import (
    K8S,
    WORKDIR,
    k8s_documents,
    key_files,
    load_yaml,
    unknown_settings,
)

Objects = dict[str, dict[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def objects() -> Objects:
    """Every object in deploy/k8s by kind, then by name."""
    found: Objects = defaultdict(dict)
    for document in k8s_documents():
        found[document["kind"]][document["metadata"]["name"]] = document
    return found


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    container: dict[str, Any] = containers[0]
    return container


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(int(p["containerPort"]) for p in container["ports"] if p["name"] == port)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_listens_on_its_port_with_readiness_and_liveness_probes(
    objects: Objects, name: str
) -> None:
    port = gateway.default_ports()[name]
    container = _container(objects["Deployment"][name])
    assert container["image"] == "jiangxin:latest"
    assert container["args"] == [name]
    assert [p["containerPort"] for p in container["ports"]] == [port]
    ready, live = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
    assert (ready["path"], _port_number(container, ready["port"])) == ("/readyz", port)
    assert (live["path"], _port_number(container, live["port"])) == ("/healthz", port)
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_reads_only_known_settings_and_its_own_database(
    objects: Objects, name: str
) -> None:
    container = _container(objects["Deployment"][name])
    names = [e["name"] for e in container["env"]]
    settings = objects["ConfigMap"]["jiangxin-settings"]["data"]
    assert [c["configMapRef"]["name"] for c in container["envFrom"]] == ["jiangxin-settings"]
    assert unknown_settings(names + list(settings), (name,)) == []
    assert f"JIANGXIN_{name.upper()}_DATABASE_URL" in names
    assert not [n for n in names if n.endswith("_DATABASE_URL") and name.upper() not in n]
    assert settings["JIANGXIN_LOG_FORMAT"] == "json"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_service_runs_at_least_two_replicas_under_a_disruption_budget(
    objects: Objects, name: str
) -> None:
    deployment = objects["Deployment"][name]
    autoscaler = objects["HorizontalPodAutoscaler"].get(name)
    replicas = autoscaler["spec"]["minReplicas"] if autoscaler else deployment["spec"]["replicas"]
    assert replicas >= 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    budget = objects["PodDisruptionBudget"][name]["spec"]
    assert budget["minAvailable"] == 1
    assert budget["selector"]["matchLabels"].items() <= labels.items()


def test_enrollment_scales_on_cpu(objects: Objects) -> None:
    spec = objects["HorizontalPodAutoscaler"]["enrollment"]["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "enrollment"
    }
    assert spec["maxReplicas"] > spec["minReplicas"] >= 2
    assert "replicas" not in objects["Deployment"]["enrollment"]["spec"]


def test_the_gateway_finds_each_service_where_its_kubernetes_service_is(objects: Objects) -> None:
    for name, (address,) in gateway.production_config().upstreams.items():
        service = objects["Service"][name]
        selector = service["spec"]["selector"]
        assert selector.items() <= objects["Deployment"][name]["spec"]["template"]["metadata"][
            "labels"
        ].items()
        (port,) = service["spec"]["ports"]
        assert address == f"{name}:{port['port']}"


def test_the_ingress_sends_everything_to_the_gateway_on_the_gateway_port(
    objects: Objects,
) -> None:
    (rule,) = objects["Ingress"]["jiangxin"]["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")
    assert path["backend"]["service"]["name"] == "gateway"
    container = _container(objects["Deployment"]["gateway"])
    assert container["image"] == "jiangxin-gateway:latest"
    assert [p["containerPort"] for p in container["ports"]] == [gateway.GATEWAY_PORT]
    assert objects["Deployment"]["gateway"]["spec"]["replicas"] >= 2
    assert "gateway" in objects["PodDisruptionBudget"]


def test_the_secret_example_names_only_known_settings() -> None:
    lines = (K8S / "secrets.env.example").read_text(encoding="utf-8").splitlines()
    names = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    assert unknown_settings(names, SERVICE_NAMES) == []
    kustomization = load_yaml(K8S / "kustomization.yaml")
    generated = {g["name"]: g for g in kustomization["secretGenerator"]}
    assert generated["jiangxin-secrets"]["envs"] == ["secrets.env"]


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_key_file_a_service_reads_is_in_the_mounted_keys_secret(
    objects: Objects, name: str
) -> None:
    assert key_files(name), f"{name} reads no key file?"
    pod = objects["Deployment"][name]["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m for m in _container(objects["Deployment"][name])["volumeMounts"]}
    assert mounts[f"{WORKDIR}/var/keys"]["readOnly"] is True
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[f"{WORKDIR}/var/keys"]["name"])
    assert volume["secret"]["secretName"] == "jiangxin-keys"


def test_local_keys_and_secrets_are_never_committed() -> None:
    ignored = (K8S / ".gitignore").read_text(encoding="utf-8").split()
    assert {"keys/", "secrets.env"} <= set(ignored)


def test_jiangxin_keys_makes_every_key_file_a_service_reads(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "services.cli", "keys", "--dir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    made = {path.name for path in tmp_path.iterdir()}
    needed = {path.name for name in SERVICE_NAMES for path in key_files(name)}
    assert needed - made == set()
