"""deploy/k8s as kubectl builds it: each service's pods, settings, Secrets, keys, database and
broker account refer only to what exists and to what the service reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from deploy import gateway
from deploy.gateway import settings_class
from services import SERVICE_NAMES
from services.cli import build_parser
from shared.config import ServiceSettings
from tests.deploy.kube import (
    K8S,
    Object,
    Objects,
    env_example,
    operator_secrets,
    script_secrets,
)
from tests.deploy.manifests import (
    NEEDED_KEYS,
    WORKDIR,
    environment,
    key_files,
    unknown_settings,
)

ROLES = ("api", "worker")


@pytest.fixture(scope="module", params=["base", "production"])
def objects(request: pytest.FixtureRequest) -> Objects:
    """Every object of one variant, built by kubectl kustomize."""
    return Objects.of(request.param)


def deployment(service: str, role: str) -> str:
    """Return the Deployment name of a service's HTTP (api) or worker pods."""
    return service if role == "api" else f"{service}-worker"


def _port(container: Object, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(int(p["containerPort"]) for p in container["ports"] if p["name"] == port)


def _env(container: Object) -> list[Object]:
    return list(container.get("env", []))


def _config_maps(objects: Objects, container: Object) -> dict[str, str]:
    data: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            data |= objects["ConfigMap"][source["configMapRef"]["name"]]["data"]
    return data


def effective_settings(objects: Objects, service: str, role: str) -> ServiceSettings:
    """Return the settings a pod's service builds from its ConfigMap and literal env values."""
    container = objects.container(deployment(service, role))
    values = _config_maps(objects, container)
    values |= {e["name"]: e["value"] for e in _env(container) if "value" in e}
    with environment(values):
        return settings_class(service)()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_pod_runs_its_service_from_the_image_with_every_probe_on_the_port_it_serves(
    objects: Objects, service: str, role: str
) -> None:
    name = deployment(service, role)
    port = gateway.default_ports()[service]
    container = objects.container(name)
    (init,) = objects.pod(name)["initContainers"]
    assert container["image"].split("/")[-1].split(":")[0] == "jiangxin"
    assert init["image"] == container["image"]
    assert container["args"] == [service]
    assert [p["containerPort"] for p in container["ports"]] == [port]
    probes = {kind: container[f"{kind}Probe"]["httpGet"] for kind in ("readiness", "liveness",
                                                                       "startup")}
    assert {k: (p["path"], _port(container, p["port"])) for k, p in probes.items()} == {
        "readiness": ("/readyz", port), "liveness": ("/healthz", port),
        "startup": ("/healthz", port)}
    assert effective_settings(objects, service, role).http_port == port
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_http_pods_serve_and_relay_while_worker_pods_consume_and_run_the_background_work(
    objects: Objects, service: str
) -> None:
    api, worker = (effective_settings(objects, service, role) for role in ROLES)
    assert (api.run_consumers, api.run_relay) == (False, True)
    assert (worker.run_consumers, worker.run_relay) == (True, True)
    background = {"enrollment": "run_jobs", "notification": "run_dispatcher"}.get(service)
    if background:
        assert (getattr(api, background), getattr(worker, background)) == (False, True)
    assert api.log_format == worker.log_format == "json"


def _references(value: str) -> set[str]:
    return set(re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_every_variable_in_a_pod_is_a_setting_its_service_reads_or_feeds_one_that_is(
    objects: Objects, service: str, role: str
) -> None:
    pod = objects.pod(deployment(service, role))
    provided = script_secrets() | operator_secrets(objects)
    for container in [*pod["initContainers"], *pod["containers"]]:
        env = _env(container)
        names = [e["name"] for e in env] + list(_config_maps(objects, container))
        names += [key for source in container.get("envFrom", []) if "secretRef" in source
                  for key in provided[source["secretRef"]["name"]]]
        assert unknown_settings(names, (service,)) == []
        defined: list[str] = []
        for entry in env:
            assert _references(entry.get("value", "")) <= set(defined), entry["name"]
            defined.append(entry["name"])
        helpers = {e["name"] for e in env if not e["name"].startswith("JIANGXIN_")}
        used = set().union(*(_references(e.get("value", "")) for e in env))
        assert helpers <= used, f"set but never used: {helpers - used}"


def test_every_configmap_key_is_read_by_a_service_whose_pods_load_the_configmap(
    objects: Objects,
) -> None:
    for name, config_map in objects["ConfigMap"].items():
        readers = [service for service in SERVICE_NAMES for role in ROLES
                   if name in [s["configMapRef"]["name"] for s in objects.container(
                       deployment(service, role)).get("envFrom", []) if "configMapRef" in s]]
        assert readers, f"no pod loads {name}"
        for key in config_map["data"]:
            assert len(unknown_settings([key], tuple(readers))) == 0, f"nobody reads {key}"


def _secret_references(objects: Objects) -> Iterator[tuple[str, str | None]]:
    for name in objects["Deployment"]:
        pod = objects.pod(name)
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            for entry in _env(container):
                if ref := entry.get("valueFrom", {}).get("secretKeyRef"):
                    yield ref["name"], ref["key"]
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    yield source["secretRef"]["name"], None
        for volume in pod.get("volumes", []):
            if secret := volume.get("secret"):
                yield from ((secret["secretName"], item["key"]) for item in secret["items"])
    for auth in objects["TriggerAuthentication"].values():
        yield from ((ref["name"], ref["key"]) for ref in auth["spec"]["secretTargetRef"])


def test_every_secret_key_referenced_is_made_and_every_key_secrets_sh_makes_is_used(
    objects: Objects,
) -> None:
    made = script_secrets() | operator_secrets(objects)
    used: set[tuple[str, str]] = set()
    for name, key in _secret_references(objects):
        assert name in made, f"nothing makes the Secret {name}"
        keys = made[name] if key is None else {key}
        assert keys <= made[name], f"{name} has no key {key}"
        used |= {(name, k) for k in keys}
    for name, keys in script_secrets().items():
        assert {(name, k) for k in keys} <= used, f"{name}: a key nobody mounts or reads"


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_mounts_only_its_own_keys_which_are_the_files_its_settings_read(
    objects: Objects, service: str
) -> None:
    assert {path.name for path in key_files(service)} == NEEDED_KEYS[service]
    for role in ROLES:
        name = deployment(service, role)
        mounts = {m["mountPath"]: m for m in objects.container(name)["volumeMounts"]}
        keys = mounts[f"{WORKDIR}/var/keys/{service}"]
        assert keys["readOnly"] is True
        (volume,) = (v for v in objects.pod(name)["volumes"] if v["name"] == keys["name"])
        assert volume["secret"]["secretName"] == f"{service}-keys"
        assert {(i["key"], i["path"]) for i in volume["secret"]["items"]} == {
            (k, k) for k in NEEDED_KEYS[service]}
    strangers = [n for n in objects["Deployment"] if not n.startswith(service)
                 for v in objects.pod(n).get("volumes", [])
                 if v.get("secret", {}).get("secretName") == f"{service}-keys"]
    assert strangers == []


def _value_from(container: Object, name: str) -> Any:
    (entry,) = (e for e in _env(container) if e["name"] == name)
    return entry.get("value") or entry["valueFrom"]["secretKeyRef"]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_migrates_and_uses_its_own_database_cluster(
    objects: Objects, service: str
) -> None:
    cluster = objects["Cluster"][f"{service}-db"]["spec"]
    assert cluster["instances"] == 3  # one primary, two streaming replicas
    assert cluster["bootstrap"]["initdb"]["database"] == f"jiangxin_{service}"
    setting = f"JIANGXIN_{service.upper()}_DATABASE_URL"
    for role in ROLES:
        pod = objects.pod(deployment(service, role))
        (init,) = pod["initContainers"]
        assert build_parser().parse_args(init["args"][1:]).service == [service]
        for container in (init, *pod["containers"]):
            assert _value_from(container, setting) == {"name": f"{service}-db-app", "key": "uri"}
        assert effective_settings(objects, service, role).migrate_on_start is False


def test_certification_reads_public_data_from_its_database_replicas(objects: Objects) -> None:
    container = objects.container("certification")
    url = urlsplit(_value_from(container, "JIANGXIN_CERTIFICATION_READ_DATABASE_URL"))
    database = objects["Cluster"]["certification-db"]["spec"]["bootstrap"]["initdb"]["database"]
    assert (url.hostname, url.port, url.path) == ("certification-db-ro", 5432, f"/{database}")
    assert (url.username, url.password) == ("$(DB_USERNAME)", "$(DB_PASSWORD)")
    assert _value_from(container, "DB_USERNAME") == {"name": "certification-db-app",
                                                    "key": "username"}
    assert _value_from(container, "DB_PASSWORD") == {"name": "certification-db-app",
                                                    "key": "password"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_reaches_the_broker_cluster_as_its_own_user(
    objects: Objects, service: str, role: str
) -> None:
    container = objects.container(deployment(service, role))
    url = urlsplit(_value_from(container, "JIANGXIN_AMQP_URL"))
    assert (url.hostname, url.port) == (next(iter(objects["RabbitmqCluster"])), 5672)
    assert (url.username, url.password) == ("$(AMQP_USERNAME)", "$(AMQP_PASSWORD)")
    credentials = f"{service}-amqp-user-credentials"
    assert _value_from(container, "AMQP_USERNAME") == {"name": credentials, "key": "username"}
    assert _value_from(container, "AMQP_PASSWORD") == {"name": credentials, "key": "password"}
    permission = objects["Permission"][f"{service}-amqp"]["spec"]
    assert permission["userReference"]["name"] == f"{service}-amqp"
    assert permission["vhost"] == (url.path.removeprefix("/") or "/")


def test_the_gateway_reaches_each_services_http_pods_through_its_service(
    objects: Objects,
) -> None:
    for name, (address,) in gateway.production_config().upstreams.items():
        (port,) = objects["Service"][name]["spec"]["ports"]
        assert address == f"{name}:{port['port']}"
        labels = objects["Deployment"][name]["spec"]["template"]["metadata"]["labels"]
        assert objects["Service"][name]["spec"]["selector"].items() <= labels.items()
        assert labels["app.kubernetes.io/component"] == "api"
    (rule,) = objects["Ingress"]["jiangxin"]["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["backend"]["service"]["name"]) == ("/", "gateway")
    assert [p["containerPort"] for p in objects.container("gateway")["ports"]] == [
        gateway.GATEWAY_PORT]


def test_production_pins_its_images_to_a_release() -> None:
    images = {c["image"] for obj in Objects.of("production")["Deployment"].values()
              for c in obj["spec"]["template"]["spec"]["containers"]}
    assert images
    assert not [image for image in images if image.endswith(":latest")]


def test_provider_credentials_are_notification_settings_and_local_secrets_stay_uncommitted(
) -> None:
    example = env_example(K8S / "notification.env.example")
    assert unknown_settings(list(example), ("notification",)) == []
    assert {"keys/", "notification.env"} <= set((K8S / ".gitignore").read_text().split())
