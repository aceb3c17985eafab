"""Run a subscription's handler exactly once: one transaction with the message's inbox claim.

A lost lock race is tried again in place (full jitter); while the database is unreachable the
message is held and tried again; at shutdown it is handed back (Stopping).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any, Protocol

import asyncpg

from shared.db import is_transient, is_unavailable
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.messaging import inbox
from shared.messaging.outbox import OutboxWriter
from shared.messaging.subscriptions import HandlerContext
from shared.messaging.uow import PostgresUnitOfWork

log = get_logger(__name__)


class RetrySettings(Protocol):
    """How long to keep trying (ConsumerSettings has these)."""

    @property
    def immediate_retries(self) -> int: ...
    @property
    def lock_retry_base_s(self) -> float: ...
    @property
    def lock_retry_cap_s(self) -> float: ...
    @property
    def unavailable_backoff_max_s(self) -> float: ...


class _DatabaseUnavailable(Exception):
    """The database could not be reached; hold the message and wait."""


class Stopping(Exception):
    """The consumer is shutting down; give the message back to the broker."""


class HandlerRunner:
    """Run handlers of one consumer's queue, each in a transaction with its inbox claim."""

    def __init__(
        self, *, pool: asyncpg.Pool, outbox: OutboxWriter, queue: str, deps: object,
        settings: RetrySettings, stopping: asyncio.Event,
    ) -> None:
        self.pool, self.outbox, self.queue, self.deps = pool, outbox, queue, deps
        self.settings = settings
        self._stopping = stopping

    async def run(self, envelope: Envelope, event: Any, handler: Any, attempt: int) -> bool:
        """Run the handler in a transaction with the inbox claim; False for a duplicate."""
        immediate = 0
        backoff = 0.1
        while True:
            try:
                return await self._run_once(envelope, event, handler, attempt)
            except _DatabaseUnavailable as exc:
                if self._stopping.is_set():
                    raise Stopping from exc
                log.warning("database_unavailable_waiting", error=str(exc.__cause__))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, self.settings.unavailable_backoff_max_s)
            except Exception as exc:
                if not is_transient(exc) or immediate >= self.settings.immediate_retries:
                    raise
                pause = lock_race_pause(immediate, self.settings)
                immediate += 1
                log.info("transient_error_retrying", error=type(exc).__name__, retry=immediate,
                         pause_ms=round(pause * 1000, 1))
                await asyncio.sleep(pause)

    async def _run_once(self, envelope: Envelope, event: Any, handler: Any, attempt: int) -> bool:
        try:
            conn_cm = self.pool.acquire()
            conn = await conn_cm.__aenter__()
        except Exception as exc:
            raise _DatabaseUnavailable from exc
        try:
            try:
                tx = conn.transaction()
                await tx.start()
            except Exception as exc:
                raise _DatabaseUnavailable from exc
            try:
                claimed = await inbox.claim(
                    conn,
                    consumer=self.queue,
                    message_id=envelope.message_id,
                    message_type=envelope.routing_key,
                )
                if claimed:
                    uow = PostgresUnitOfWork(conn, self.outbox)
                    await handler(
                        event,
                        HandlerContext(envelope=envelope, uow=uow, attempt=attempt, deps=self.deps),
                    )
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    await tx.rollback()
                if isinstance(exc, Exception) and (conn.is_closed() or is_unavailable(exc)):
                    raise _DatabaseUnavailable from exc
                raise
            try:
                await tx.commit()
            except Exception as exc:
                if conn.is_closed() or is_unavailable(exc):
                    raise _DatabaseUnavailable from exc
                raise
            return claimed
        finally:
            await conn_cm.__aexit__(None, None, None)


def lock_race_pause(retry: int, settings: RetrySettings) -> float:
    """Return how long to wait before trying a lost lock race again (retry 0 is the first)."""
    ceiling = min(settings.lock_retry_cap_s, settings.lock_retry_base_s * 2**retry)
    return random.uniform(0, ceiling)  # spreads the racers apart; not a secret
