"""Turn an operator's CRD file into the schema file the tests read (descriptions dropped).

Usage: python -m tests.deploy.crds.extract CRD.yaml VERSION SOURCE_URL > tests/deploy/crds/KIND.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def without_descriptions(node: Any) -> Any:
    """Return a schema without its `description` texts (most of a CRD's size)."""
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


def extract(crd: dict[str, Any], version: str, source: str) -> dict[str, Any]:
    """Return the group, kind, version and openAPIV3Schema of one CRD version."""
    (served,) = (v for v in crd["spec"]["versions"] if v["name"] == version)
    return {
        "source": source,
        "apiVersion": f"{crd['spec']['group']}/{version}",
        "kind": crd["spec"]["names"]["kind"],
        "schema": without_descriptions(served["schema"]["openAPIV3Schema"]),
    }


if __name__ == "__main__":
    path, version, source = sys.argv[1:4]
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    json.dump(extract(document, version, source), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
