"""deploy/k8s scales and isolates: HTTP pods on CPU, workers on their queue's depth (KEDA),
disruption budgets and spreading for every Deployment, and a NetworkPolicy per pod set that
lets the gateway reach the services and the services reach their database and the broker only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from deploy import gateway
from deploy.gateway import settings_class
from services import SERVICE_NAMES
from tests.deploy.kube import Object, Objects

DNS = ("kube-system", {"k8s-app": "kube-dns"})



@pytest.fixture(scope="module", params=["base", "production"])
def objects(request: pytest.FixtureRequest) -> Objects:
    """Every object of one variant, built by kubectl kustomize."""
    return Objects.of(request.param)


def _labels(objects: Objects, deployment: str) -> dict[str, str]:
    labels: dict[str, str] = objects["Deployment"][deployment]["spec"]["template"]["metadata"][
        "labels"]
    return labels


def _targets(objects: Objects) -> dict[str, list[str]]:
    """Return, for each Deployment, what scales it (HPA or ScaledObject names)."""
    found: dict[str, list[str]] = {name: [] for name in objects["Deployment"]}
    for name, hpa in objects["HorizontalPodAutoscaler"].items():
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        found[hpa["spec"]["scaleTargetRef"]["name"]].append(f"hpa/{name}")
    for name, scaled in objects["ScaledObject"].items():
        found[scaled["spec"]["scaleTargetRef"]["name"]].append(f"keda/{name}")
    return found


def test_every_deployment_has_exactly_one_autoscaler_which_owns_its_replica_count(
    objects: Objects,
) -> None:
    targets = _targets(objects)
    assert {name: len(by) for name, by in targets.items()} == dict.fromkeys(targets, 1)
    for name in targets:
        assert "replicas" not in objects["Deployment"][name]["spec"]
    for hpa in objects["HorizontalPodAutoscaler"].values():
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"] >= 2
    for scaled in objects["ScaledObject"].values():
        assert scaled["spec"]["maxReplicaCount"] > scaled["spec"]["minReplicaCount"] >= 2


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_http_pods_scale_on_cpu_and_workers_on_the_depth_of_their_own_work_queue(
    objects: Objects, service: str
) -> None:
    assert _targets(objects)[service] == [f"hpa/{service}"]
    assert _targets(objects)[f"{service}-worker"] == [f"keda/{service}-worker"]
    (trigger,) = objects["ScaledObject"][f"{service}-worker"]["spec"]["triggers"]
    settings = settings_class(service)(namespace=objects["ConfigMap"]["jiangxin-settings"][
        "data"]["JIANGXIN_NAMESPACE"])
    assert (trigger["type"], trigger["metadata"]["queueName"]) == ("rabbitmq",
                                                                  settings.queue_name)
    host = urlsplit(trigger["metadata"]["host"])
    (cluster,) = objects["RabbitmqCluster"]
    (ns,) = objects["Namespace"]
    assert (host.hostname, host.port) == (f"{cluster}.{ns}.svc", 5672)
    auth = objects["TriggerAuthentication"][trigger["authenticationRef"]["name"]]["spec"]
    assert {(r["parameter"], r["name"], r["key"]) for r in auth["secretTargetRef"]} == {
        ("username", f"{service}-amqp-user-credentials", "username"),
        ("password", f"{service}-amqp-user-credentials", "password")}


def test_every_deployment_keeps_a_pod_through_disruptions_and_spreads_over_nodes_and_zones(
    objects: Objects,
) -> None:
    budgets = objects["PodDisruptionBudget"]
    for name in objects["Deployment"]:
        labels = _labels(objects, name)
        (budget,) = (b for b in budgets.values()
                     if b["spec"]["selector"]["matchLabels"].items() <= labels.items())
        assert budget["spec"]["minAvailable"] == 1
        spread = objects.pod(name)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"kubernetes.io/hostname",
                                                     "topology.kubernetes.io/zone"}
        assert all(c["labelSelector"]["matchLabels"].items() <= labels.items() for c in spread)


def _selected(objects: Objects, peer: Object) -> str:
    """Name what one NetworkPolicy peer reaches: our pods, an operator's, DNS, a range."""
    if "ipBlock" in peer:
        return f"ip:{peer['ipBlock']['cidr']}"
    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {}).get(
        "kubernetes.io/metadata.name")
    pods = peer.get("podSelector", {}).get("matchLabels", {})
    if namespace:
        return "dns" if (namespace, pods) == DNS else f"namespace:{namespace}"
    ours = sorted(name for name in objects["Deployment"]
                  if pods.items() <= _labels(objects, name).items())
    if ours:
        return ",".join(ours)  # every Deployment the selector matches, not only the one meant
    if pods.keys() == {"cnpg.io/cluster"} and pods["cnpg.io/cluster"] in objects["Cluster"]:
        return f"db:{pods['cnpg.io/cluster']}"
    (broker,) = objects["RabbitmqCluster"]
    assert pods == {"app.kubernetes.io/name": broker}, f"selects nothing known: {pods}"
    return "broker"


def _peers(objects: Objects, rules: list[Object], direction: str) -> set[tuple[str, str, int]]:
    """Flatten policy rules into (what, protocol, port)."""
    return {(_selected(objects, peer), port["protocol"], port["port"])
            for rule in rules for peer in rule[direction] for port in rule["ports"]}


def _policy_of(objects: Objects, deployment: str) -> Object:
    labels = _labels(objects, deployment)
    (policy,) = (p for p in objects["NetworkPolicy"].values()
                 if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items())
    spec: Object = policy["spec"]
    return spec


DNS_PORTS = {("dns", "UDP", 53), ("dns", "TCP", 53)}


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_takes_requests_from_the_gateway_and_reaches_its_database_and_broker_only(
    objects: Objects, service: str
) -> None:
    port = gateway.default_ports()[service]
    own = {(f"db:{service}-db", "TCP", 5432), ("broker", "TCP", 5672), *DNS_PORTS}
    api, worker = _policy_of(objects, service), _policy_of(objects, f"{service}-worker")
    assert api["policyTypes"] == worker["policyTypes"] == ["Ingress", "Egress"]
    assert _peers(objects, api["ingress"], "from") == {("gateway", "TCP", port)}
    assert worker.get("ingress", []) == []
    assert _peers(objects, api["egress"], "to") == own
    providers = {("ip:0.0.0.0/0", "TCP", p) for p in (443, 465, 587)}
    expected = own | providers if service == "notification" else own
    assert _peers(objects, worker["egress"], "to") == expected


def test_the_gateway_takes_requests_from_the_ingress_and_reaches_the_http_pods_only(
    objects: Objects,
) -> None:
    policy = _policy_of(objects, "gateway")
    assert _peers(objects, policy["ingress"], "from") == {
        ("namespace:ingress-nginx", "TCP", gateway.GATEWAY_PORT)}
    http = {(name, "TCP", port) for name, port in gateway.default_ports().items()}
    assert _peers(objects, policy["egress"], "to") == http | DNS_PORTS


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_database_takes_every_connection_its_pods_may_open_at_their_autoscalers_maximum(
    objects: Objects, service: str
) -> None:
    pool = int(objects["ConfigMap"]["jiangxin-settings"]["data"]["JIANGXIN_DB_POOL_MAX"])
    pods = (objects["HorizontalPodAutoscaler"][service]["spec"]["maxReplicas"]
            + objects["ScaledObject"][f"{service}-worker"]["spec"]["maxReplicaCount"])
    # Each pod: its pool, the relay's LISTEN connection and one to spare (an operator's psql).
    needed = pods * (pool + 2)
    cluster = objects["Cluster"][f"{service}-db"]["spec"]
    assert int(cluster["postgresql"]["parameters"]["max_connections"]) >= needed
