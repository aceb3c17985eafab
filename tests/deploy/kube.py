"""deploy/k8s as `kubectl kustomize` builds it, and the facts the tests compare it with.

Both variants are built with the tool their users apply them with (kubectl's kustomize), then
read as objects by kind and name. Operator objects are checked against their CRDs' schemas,
committed in tests/deploy/crds/ (see the README there: sources and versions).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.deploy.manifests import DEPLOY, written_key_files

K8S = DEPLOY / "k8s"
VARIANTS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
# The Kubernetes release the built-in objects are validated against (kubernetes-validate ships
# its schemas); the oldest one the manifests promise to work with.
K8S_VERSION = "1.33.0"
CRDS = Path(__file__).parent / "crds"
Object = dict[str, Any]


def kubectl() -> str:
    """Return the kubectl executable; fail (never skip) when it is missing."""
    found = shutil.which("kubectl")
    assert found, "kubectl (1.27 or newer, with kustomize) is missing: `make test` needs it"
    return found


@functools.cache
def build(variant: str) -> tuple[Object, ...]:
    """Return every object `kubectl kustomize` makes of a variant (base or production)."""
    done = subprocess.run([kubectl(), "kustomize", str(VARIANTS[variant])], capture_output=True,
                          text=True, check=True, timeout=120)
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


@dataclass(frozen=True)
class Objects:
    """One variant's objects by kind, then by name."""

    by_kind: dict[str, dict[str, Object]]

    @classmethod
    def of(cls, variant: str) -> Objects:
        """Build a variant and index it."""
        found: dict[str, dict[str, Object]] = defaultdict(dict)
        for obj in build(variant):
            found[obj["kind"]][obj["metadata"]["name"]] = obj
        return cls(dict(found))

    def __getitem__(self, kind: str) -> dict[str, Object]:
        return self.by_kind.get(kind, {})

    def pod(self, deployment: str) -> Object:
        """Return a Deployment's pod spec."""
        spec: Object = self["Deployment"][deployment]["spec"]["template"]["spec"]
        return spec

    def container(self, deployment: str) -> Object:
        """Return the one container of a Deployment."""
        (container,) = self.pod(deployment)["containers"]
        return dict(container)


def crd_schemas() -> dict[tuple[str, str], Object]:
    """Return each committed CRD schema by (apiVersion, kind)."""
    schemas = {}
    for path in sorted(CRDS.glob("*.json")):
        crd = json.loads(path.read_text(encoding="utf-8"))
        schemas[(crd["apiVersion"], crd["kind"])] = crd["schema"]
    return schemas


def strict(schema: Any) -> Any:
    """Return a CRD schema that refuses fields it does not list (as `kubectl --validate=strict`).

    A CRD lets the API server drop unknown fields silently; a misspelt field would then do
    nothing at all, so the tests refuse them wherever the schema lists the fields."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def crd_errors(obj: Object, schemas: dict[tuple[str, str], Object]) -> list[str]:
    """Return what in an operator object its CRD's schema does not allow."""
    validator = jsonschema.Draft7Validator(strict(schemas[(obj["apiVersion"], obj["kind"])]))
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(obj)]


# What the operators put in the Secrets they make (from their sources: tests/deploy/crds/README).
CNPG_APP_SECRET_KEYS = frozenset({"username", "user", "password", "dbname", "host", "port",
                                  "pgpass", "uri", "jdbc-uri", "fqdn-uri", "fqdn-jdbc-uri"})
TOPOLOGY_USER_SECRET_KEYS = frozenset({"username", "password"})


def operator_secrets(objects: Objects) -> dict[str, frozenset[str]]:
    """Return the Secrets the operators make for this variant's objects, with their keys."""
    secrets = {f"{name}-app": CNPG_APP_SECRET_KEYS for name in objects["Cluster"]}
    secrets |= {f"{name}-user-credentials": TOPOLOGY_USER_SECRET_KEYS
                for name in objects["User"]}
    return secrets


def script_secrets() -> dict[str, frozenset[str]]:
    """Return the Secrets deploy/k8s/secrets.sh makes, with their keys."""
    made: dict[str, frozenset[str]] = {}
    for line in (K8S / "secrets.sh").read_text(encoding="utf-8").splitlines():
        if line.startswith("key_secret "):
            (service,) = line.split()[1:]
            made[f"{service}-keys"] = frozenset(written_key_files()[service])
    made["notification-providers"] = frozenset(env_example(K8S / "notification.env.example"))
    return made


def env_example(path: Path) -> dict[str, str]:
    """Return the NAME=value lines of an env file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
