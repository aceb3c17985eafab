"""A robust AMQP connection over the nodes of a RabbitMQ cluster: the next node when one fails.

aio-pika's robust connection reconnects to its one URL and restores channels, exchanges,
queues and consumers there. This subclass changes the URL each time a connection is lost or
an attempt fails, going round the cluster's nodes, so a client whose node died carries on at
another node (quorum queues are served by every node of the cluster).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any

import aio_pika
from yarl import URL

from shared.logging import get_logger

log = get_logger(__name__)


def broker_urls(setting: str | Sequence[str]) -> tuple[str, ...]:
    """Return the node URLs of a setting: one AMQP URL or a comma-separated list of them."""
    parts = setting.split(",") if isinstance(setting, str) else setting
    urls = tuple(part.strip() for part in parts if part.strip())
    if not urls:
        raise ValueError("no broker URL given")
    return urls


def node_of(url: URL) -> str:
    """Return host:port of a broker URL (never its credentials), for logs."""
    return f"{url.host}:{url.port}"


class FailoverConnection(aio_pika.RobustConnection):
    """A robust connection that moves to the next node's URL after each lost connection.

    Each process starts at a random node, so a service's instances spread their connections
    over the cluster. Connection parameters (heartbeat, name, ...) come from the first URL's
    query; the nodes' URLs should differ in host and port only.
    """

    def __init__(self, urls: Sequence[str], **kwargs: Any) -> None:
        self._urls = [URL(url) for url in broker_urls(urls)]
        self._at = random.randrange(len(self._urls))
        self._lost_at: float | None = None  # when the connection was lost (monotonic), until back
        super().__init__(self._urls[self._at], **kwargs)

    @property
    def node(self) -> str:
        """Return host:port of the node this connection uses (or tries next)."""
        return node_of(self.url)

    async def _on_connection_close(self, closing: asyncio.Future[Any]) -> None:
        # Called when an established connection drops and when an attempt fails.
        if not self._close_called and self._lost_at is None and self.connection_attempt:
            self._lost_at = time.monotonic()  # a connection that had been up
        if not self._close_called and len(self._urls) > 1:
            left = self.node
            self._at = (self._at + 1) % len(self._urls)
            self.url = self._urls[self._at]
            log.warning("broker_node_switched", left=left, next=self.node)
        await super()._on_connection_close(closing)

    async def _on_connected(self) -> None:
        # Called once connected, after channels, exchanges and consumers were restored there.
        await super()._on_connected()
        if self._lost_at is not None:
            log.info("broker_reconnected", node=self.node,
                     after_s=round(time.monotonic() - self._lost_at, 2))
            self._lost_at = None


async def connect_failover(urls: Sequence[str], **kwargs: Any) -> FailoverConnection:
    """Open a failover connection (kwargs as aio_pika.connect_robust takes them)."""
    connection = FailoverConnection(urls, **kwargs)
    await connection.connect()
    return connection
