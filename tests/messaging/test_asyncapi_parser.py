"""The official AsyncAPI parser (@asyncapi/parser from npm) accepts our event catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.cli import services
from shared.cli import asyncapi_for
from tests.support.node import npm_installed, run_node

HERE = Path(__file__).parent / "asyncapi"


def parse(document: dict[str, Any], work: Path) -> dict[str, Any]:
    """Run the parser on a document; return its report (parsed, diagnostics) and exit code."""
    path = work / "asyncapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = run_node(npm_installed(HERE), "validate.mjs", str(path))
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    report["exit_code"] = done.returncode
    return report


def errors(report: dict[str, Any]) -> list[str]:
    """Return the error diagnostics, one readable line each."""
    return [
        f"{d['code']} at {d['path']}: {d['message']}"
        for d in report["diagnostics"]
        if d["severity"] == "Error"
    ]


def test_the_official_asyncapi_parser_accepts_our_document_without_errors(tmp_path: Path) -> None:
    report = parse(asyncapi_for(services()), tmp_path)
    assert errors(report) == [], "\n".join(errors(report))
    assert report["parsed"] is True
    assert report["exit_code"] == 0, report


def test_the_parser_rejects_an_operation_binding_placed_on_a_message(tmp_path: Path) -> None:
    document = asyncapi_for(services())
    message = document["components"]["messages"]["EnrollmentConfirmed"]
    message["bindings"]["amqp"]["deliveryMode"] = 2

    report = parse(document, tmp_path)

    assert report["exit_code"] == 1
    assert any("deliveryMode" in line for line in errors(report)), report
