"""The three services, seeded once per module: the access matrix only reads their answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from shared.auth import TokenIssuer
from tests.security.world import World, running_world


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(key_files: Path, issuer: TokenIssuer) -> AsyncIterator[World]:
    """Enrollment, certification and notification on real PostgreSQL and RabbitMQ, seeded."""
    async with running_world(key_files, issuer) as running:
        yield running
