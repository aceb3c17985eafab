"""The committed API reference matches what the services serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.apidocs import api_docs


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    """The API reference as the services describe themselves now."""
    return api_docs()


def test_committed_openapi_documents_and_index_are_current(generated: dict[Path, str]) -> None:
    for path, text in generated.items():
        assert path.read_text(encoding="utf-8") == text, f"run `jiangxin api-docs` ({path})"


def test_every_operation_is_summarised_and_documents_its_problems(
    generated: dict[Path, str],
) -> None:
    for path, text in generated.items():
        if path.suffix != ".json":
            continue
        for route, operations in json.loads(text)["paths"].items():
            for method, op in operations.items():
                assert op.get("summary"), f"{method.upper()} {route} has no summary"
                assert "default" in op["responses"], f"{method.upper()} {route}"


def test_every_operation_id_is_unique_across_the_three_services(
    generated: dict[Path, str],
) -> None:
    """OpenAPI wants unique operationIds; one origin serves all three documents, so across them."""
    seen: dict[str, list[str]] = {}
    for path, text in generated.items():
        if path.suffix != ".json":
            continue
        for route, operations in json.loads(text)["paths"].items():
            for method, op in operations.items():
                seen.setdefault(op["operationId"], []).append(
                    f"{path.stem} {method.upper()} {route}")
    shared = {op: where for op, where in seen.items() if len(where) > 1}
    assert not shared, f"operationIds used more than once: {shared}"
