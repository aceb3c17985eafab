"""The long tests' servers, started once for the session and stopped whatever happens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.private import (
    PRIVATE_DIR,
    PrivateServers,
    private_servers,
    start_private_servers,
)

Record = Callable[..., None]
RESULTS = PRIVATE_DIR.parent / "long-results.jsonl"


@pytest.fixture(scope="session")
def private() -> Iterator[PrivateServers]:
    """A private PostgreSQL cluster and RabbitMQ node (deploy/local/private-servers.sh)."""
    try:
        yield asyncio.run(start_private_servers())
    finally:
        asyncio.run(private_servers("stop"))


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Record:
    """Print a scenario's measured figures at once and keep them in var/long-results.jsonl."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(scenario: str, **figures: Any) -> None:
        line = f"LONG {scenario}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"test": request.node.name, "scenario": scenario, **figures},
                                 ensure_ascii=False, default=str) + "\n")

    return write
