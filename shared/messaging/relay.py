"""Relay: publish committed outbox rows with confirms, woken by LISTEN/NOTIFY or polling."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.config import ServiceSettings, default_of
from shared.db import Conn, Listener
from shared.events.registry import load_catalog
from shared.logging import get_logger
from shared.messaging.transport import OutgoingMessage, Transport, Unroutable
from shared.metrics import (
    MESSAGES_PUBLISHED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PARKED,
    PUBLISH_FAILURES,
)

log = get_logger(__name__)

NOTIFY_CHANNEL = "jiangxin_outbox"

# Only the oldest unsent row of each aggregate is claimable: a later row of the same aggregate
# waits until the earlier one is sent (a parked one too), whichever relay holds it. Rows are
# taken by status, never by "id greater than the last seen", so a transaction that commits a
# lower id late is still published.
_CLAIM = """
SELECT o.id, o.message_id::text AS message_id, o.routing_key,
       convert_to(o.body, 'UTF8') AS body, o.headers
FROM outbox o
WHERE o.status = 'pending'
  AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.status IN ('pending', 'parked') AND p.aggregate_id = o.aggregate_id AND p.id < o.id)
ORDER BY o.id
LIMIT $1
FOR UPDATE OF o SKIP LOCKED
"""
_MARK_SENT = "UPDATE outbox SET status = 'sent', sent_at = now() WHERE id = ANY($1::bigint[])"
# Rows whose payload holds a secret (Event.carries_secret) are not kept once published, nor once
# expired while unpublished (parked, or pending through a long broker outage).
_DELETE_SENT = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"
_PURGE_EXPIRED_SECRETS = """
DELETE FROM outbox WHERE status IN ('pending', 'parked') AND routing_key = ANY($1::text[])
  AND (body::jsonb #>> '{data,expires_at}')::timestamptz < now()
"""
_MARK_PARKED = """
UPDATE outbox SET status = 'parked', parked_at = now(), attempts = attempts + 1, last_error = $2
WHERE id = ANY($1::bigint[])
"""
_MARK_FAILED = """
UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])
"""
_UNPARK = """
UPDATE outbox SET status = 'pending'
WHERE status = 'parked' AND parked_at < now() - make_interval(secs => $1)
"""
_PURGE_SENT = """
DELETE FROM outbox WHERE status = 'sent' AND sent_at < now() - make_interval(hours => $1)
"""
_STATS = """
SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'parked') AS parked,
       coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)
           AS oldest_age
FROM outbox WHERE status <> 'sent'
"""


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """Batch size and the timers of the relay (the configurable ones as in ServiceSettings)."""

    batch_size: int = default_of(ServiceSettings, "relay_batch_size")
    workers: int = default_of(ServiceSettings, "relay_workers")
    poll_interval_s: float = default_of(ServiceSettings, "relay_poll_interval_s")
    idle_poll_interval_s: float = 5.0
    parked_retry_s: float = default_of(ServiceSettings, "relay_parked_retry_s")
    retention_hours: int = default_of(ServiceSettings, "outbox_retention_hours")
    housekeeping_interval_s: float = 5.0
    max_backoff_s: float = 5.0
    # Routing keys whose rows are deleted once published or expired (sign-in codes).
    secret_keys: frozenset[str] = field(default_factory=lambda: load_catalog().secret_keys())

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> RelaySettings:
        """Return the relay's settings as a service is configured."""
        return cls(
            batch_size=settings.relay_batch_size,
            workers=settings.relay_workers,
            poll_interval_s=settings.relay_poll_interval_s,
            parked_retry_s=settings.relay_parked_retry_s,
            retention_hours=settings.outbox_retention_hours,
        )


@dataclass(frozen=True, slots=True)
class DrainResult:
    """What one claimed batch became."""

    claimed: int
    sent: int
    parked: int
    failed: int


class Relay:
    """Drain one service's outbox into the exchange; several may run at once."""

    def __init__(
        self,
        *,
        service: str,
        dsn: str,
        pool: asyncpg.Pool,
        transport: Transport,
        settings: RelaySettings | None = None,
    ) -> None:
        self.service = service
        self.dsn = dsn
        self.pool = pool
        self.transport = transport
        self.settings = settings or RelaySettings()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self.listener = Listener(dsn, NOTIFY_CHANNEL, self._wake.set)

    def wake(self) -> None:
        """Ask the relay to look at the outbox now."""
        self._wake.set()

    async def run(self) -> None:
        """Loop until stopped: drain, then wait for a notification or the poll interval."""
        listener = asyncio.create_task(self.listener.run(), name="outbox-listen")
        housekeeping = asyncio.create_task(self._housekeeping(), name="outbox-housekeeping")
        try:
            await asyncio.gather(*(self._work() for _ in range(max(1, self.settings.workers))))
        finally:
            listener.cancel()
            housekeeping.cancel()
            for task in (listener, housekeeping):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _work(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            self._wake.clear()
            try:
                result = await self.drain_once()
            except Exception as exc:  # database down: keep trying, never crash the service
                log.warning("relay_drain_failed", error=repr(exc))
                result = DrainResult(0, 0, 0, 1)
            if result.failed:
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.settings.max_backoff_s)
                continue
            backoff = 0.1
            if result.claimed >= self.settings.batch_size or result.sent:
                continue
            await self._idle()

    async def stop(self) -> None:
        """Finish the batch in hand and stop."""
        self._stop.set()
        self._wake.set()

    async def drain_once(self) -> DrainResult:
        """Claim a batch, publish it with confirms, and record each row's outcome."""
        async with self.pool.acquire() as conn, conn.transaction():
            # Losing this transaction's commit in a database crash only re-publishes the batch,
            # which the consumers' inboxes absorb; the rows themselves were committed durably.
            await conn.execute("SET LOCAL synchronous_commit = off")
            rows = await conn.fetch(_CLAIM, self.settings.batch_size)
            if not rows:
                return DrainResult(0, 0, 0, 0)
            results = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            sent: list[int] = []
            spent: list[int] = []  # sent, holding a secret: deleted
            sent_keys: Counter[str] = Counter()
            parked: list[int] = []
            failed: list[int] = []
            first_error: dict[str, str] = {}
            for row, result in zip(rows, results, strict=True):
                if result is None:
                    secret = row["routing_key"] in self.settings.secret_keys
                    (spent if secret else sent).append(row["id"])
                    sent_keys[row["routing_key"]] += 1
                elif isinstance(result, Unroutable):
                    parked.append(row["id"])
                    first_error.setdefault("parked", str(result))
                else:
                    failed.append(row["id"])
                    first_error.setdefault("failed", repr(result))
            if spent:
                await conn.execute(_DELETE_SENT, spent)
            await self._record(conn, sent, parked, failed, first_error)
        for key, count in sent_keys.items():
            MESSAGES_PUBLISHED.labels(self.service, key).inc(count)
        return DrainResult(len(rows), len(sent) + len(spent), len(parked), len(failed))

    async def _record(
        self,
        conn: Conn,
        sent: Sequence[int],
        parked: Sequence[int],
        failed: Sequence[int],
        errors: dict[str, str],
    ) -> None:
        if sent:
            await conn.execute(_MARK_SENT, sent)
        if parked:
            await conn.execute(_MARK_PARKED, parked, errors["parked"])
            PUBLISH_FAILURES.labels(self.service, "unroutable").inc(len(parked))
            log.error("outbox_rows_parked_unroutable", count=len(parked), error=errors["parked"])
        if failed:
            await conn.execute(_MARK_FAILED, failed, errors["failed"])
            PUBLISH_FAILURES.labels(self.service, "unconfirmed").inc(len(failed))
            log.warning("outbox_publish_unconfirmed", count=len(failed), error=errors["failed"])

    async def _publish(self, row: asyncpg.Record) -> None:
        headers: dict[str, Any] = row["headers"]
        if isinstance(headers, str):  # rows written before the outbox stored headers as objects
            headers = json.loads(headers)
        type_ = row["routing_key"]
        await self.transport.publish(
            OutgoingMessage(
                body=row["body"],  # bytea: the UTF-8 bytes as they go on the wire
                message_id=row["message_id"],
                type=type_,
                headers=headers,
            ),
            routing_key=type_,
            mandatory=True,
        )

    async def _idle(self) -> None:
        # With a live LISTEN the poll is only a safety net; without one, poll at the short interval.
        interval = (
            self.settings.idle_poll_interval_s
            if self.listener.listening
            else self.settings.poll_interval_s
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), interval)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _housekeeping(self) -> None:
        since_unpark = 0.0
        while True:
            await asyncio.sleep(self.settings.housekeeping_interval_s)
            since_unpark += self.settings.housekeeping_interval_s
            try:
                await self.refresh_stats()
                if since_unpark >= self.settings.parked_retry_s:
                    since_unpark = 0.0
                    await self.pool.execute(_UNPARK, self.settings.parked_retry_s)
                    await self.pool.execute(_PURGE_SENT, self.settings.retention_hours)
                    await self.purge_expired_secrets()
            except Exception as exc:
                log.warning("outbox_housekeeping_failed", error=repr(exc))

    async def purge_expired_secrets(self) -> int:
        """Delete unpublished rows whose secret has expired; return how many."""
        if not self.settings.secret_keys:
            return 0
        status = await self.pool.execute(_PURGE_EXPIRED_SECRETS, sorted(self.settings.secret_keys))
        return int(status.split()[-1])

    async def refresh_stats(self) -> dict[str, float]:
        """Read backlog, parked count and oldest age into the gauges; return them."""
        row = await self.pool.fetchrow(_STATS)
        assert row is not None
        stats = {
            "pending": float(row["pending"]),
            "parked": float(row["parked"]),
            "oldest_age": float(row["oldest_age"]),
        }
        OUTBOX_BACKLOG.labels(self.service).set(stats["pending"])
        OUTBOX_PARKED.labels(self.service).set(stats["parked"])
        OUTBOX_OLDEST_AGE.labels(self.service).set(stats["oldest_age"])
        return stats
