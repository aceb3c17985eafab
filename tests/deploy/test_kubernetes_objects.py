"""Every object deploy/k8s makes is valid: Kubernetes' own kinds against the Kubernetes schemas
(kubernetes-validate, strict), the operators' kinds against the fields their CRDs document; the
broker and database run three nodes each, and the broker topology is the services' own."""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import kubernetes_validate
import pytest

from deploy.k8s_topology import topologies
from shared.messaging.topology import QueueTopology
from tests.deploy.kube import K8S_VERSION, Object, Objects, build, crd_errors, crd_schemas
from tests.deploy.manifests import REPO

VARIANTS = ("base", "production")


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_kubernetes_object_is_valid_for_the_pinned_kubernetes_release(variant: str) -> None:
    schemas = crd_schemas()
    built_in = [o for o in build(variant) if (o["apiVersion"], o["kind"]) not in schemas]
    assert {o["kind"] for o in built_in} >= {"Deployment", "Service", "NetworkPolicy",
                                             "HorizontalPodAutoscaler", "PodDisruptionBudget"}
    for obj in built_in:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_operator_object_uses_only_fields_its_crd_documents(variant: str) -> None:
    schemas = crd_schemas()
    operated = [o for o in build(variant) if (o["apiVersion"], o["kind"]) in schemas]
    assert {o["kind"] for o in operated} == {
        "RabbitmqCluster", "User", "Permission", "Policy", "Exchange", "Queue", "Binding",
        "Cluster", "ScaledObject", "TriggerAuthentication"}
    problems = {f"{o['kind']}/{o['metadata']['name']}": crd_errors(o, schemas) for o in operated}
    assert {name: errors for name, errors in problems.items() if errors} == {}


def _mistyped(obj: Object, *path: str) -> Object:
    broken = copy.deepcopy(obj)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = node.pop(path[-1][:-1])  # e.g. replicas -> replicass
    return broken


def test_a_misspelt_field_in_an_operator_object_or_a_deployment_is_refused() -> None:
    objects, schemas = Objects.of("base"), crd_schemas()
    assert crd_errors(_mistyped(objects["RabbitmqCluster"]["rabbitmq"], "spec", "replicass"),
                      schemas)
    assert crd_errors(_mistyped(objects["Cluster"]["enrollment-db"], "spec", "instancess"),
                      schemas)
    deployment = copy.deepcopy(objects["Deployment"]["enrollment"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_the_broker_runs_three_nodes_that_keep_every_quorum_queue_on_three() -> None:
    objects = Objects.of("base")
    (cluster,) = objects["RabbitmqCluster"].values()
    assert cluster["spec"]["replicas"] == 3
    config = dict(line.split(" = ") for line in
                  cluster["spec"]["rabbitmq"]["additionalConfig"].strip().splitlines())
    assert config["quorum_queue.continuous_membership_reconciliation.enabled"] == "true"
    target = int(config["quorum_queue.continuous_membership_reconciliation.target_group_size"])
    (policy,) = objects["Policy"].values()
    assert (policy["spec"]["applyTo"], policy["spec"]["definition"]) == (
        "quorum_queues", {"target-group-size": target})
    assert target == cluster["spec"]["replicas"]
    queues = {q["spec"]["name"] for q in objects["Queue"].values()}
    pattern = policy["spec"]["pattern"]
    assert queues
    assert all(re.match(pattern, name) for name in queues)
    assert {q["spec"]["type"] for q in objects["Queue"].values()} == {"quorum"}


def test_the_broker_topology_file_is_what_the_services_declare_themselves() -> None:
    done = subprocess.run([sys.executable, "-m", "deploy.k8s_topology", "--check"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    namespace = Objects.of("base")["ConfigMap"]["jiangxin-settings"]["data"]["JIANGXIN_NAMESPACE"]
    declared = {q["spec"]["name"]: q["spec"] for q in Objects.of("base")["Queue"].values()}
    in_code = {name: arguments for topology in topologies(namespace).values()
               for name, arguments in _arguments(topology)}
    assert {name: {**spec["arguments"], "x-queue-type": spec["type"]}
            for name, spec in declared.items()} == in_code


def _arguments(topology: QueueTopology) -> list[tuple[str, dict[str, object]]]:
    retries = [(name, topology.retry_queue_arguments(tier))
               for tier, name in enumerate(topology.retry_queues, start=1)]
    parking = [(name, topology.parking_queue_arguments())
               for name in (topology.error_queue, topology.skipped_queue)]
    return [(topology.queue, topology.work_queue_arguments()), *retries, *parking]
