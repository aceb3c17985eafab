"""Transports for the messaging suite: the in-memory broker and real RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.messaging.memory import InMemoryTransport
from shared.messaging.rabbit import RabbitTransport
from shared.messaging.transport import Transport
from tests.support.infra import AMQP_URL


@pytest.fixture
async def rabbit(namespace: str) -> AsyncIterator[RabbitTransport]:
    """A connected RabbitMQ transport on the test's own exchange."""
    transport = RabbitTransport(AMQP_URL, exchange=f"{namespace}.events", connection_name="test")
    await transport.connect()
    yield transport
    await transport.close()


@pytest.fixture(params=["memory", "rabbitmq"])
async def transport(request: pytest.FixtureRequest, namespace: str) -> AsyncIterator[Transport]:
    """Each contract test runs against both brokers."""
    if request.param == "memory":
        memory = InMemoryTransport()
        yield memory
        await memory.close()
        return
    rabbit = RabbitTransport(AMQP_URL, exchange=f"{namespace}.events", connection_name="test")
    await rabbit.connect()
    yield rabbit
    await rabbit.close()
