"""Handle deliveries that are ready together in one transaction: one inbox statement, one commit.

The consumer hands over only messages it has already parsed and validated, at most one per
aggregate at a time (its per-aggregate chain sees to that), so a batch never reorders an
aggregate. A batch either commits whole (every inbox row and every effect) or not at all; when
it fails for any reason, each of its messages is handed back (`None`) and goes through the
consumer's one-at-a-time path with its immediate retries, delay tiers and `.error`.

A subscription may give its handler a `prepare`: it runs once for the batch's new messages of
that handler, after the inbox claim, so their common statements go out once for all of them.
If it fails, the batch fails: every message is handed back, and none is charged for it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Conn, is_transient, is_unavailable
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.messaging import inbox
from shared.messaging.context import handling
from shared.messaging.outbox import OutboxWriter
from shared.messaging.subscriptions import Handler, HandlerContext, Prepare
from shared.messaging.uow import PostgresUnitOfWork
from shared.metrics import CONSUMER_BATCH_SIZE, HANDLER_SECONDS, child

log = get_logger(__name__)

_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '500ms'"


class _HandlerFailed(Exception):
    """One message's handler raised: the batch rolls back and that message alone is charged."""

    def __init__(self, item: BatchItem, error: Exception) -> None:
        super().__init__(repr(error))
        self.item, self.error = item, error


@dataclass(slots=True)
class BatchItem:
    """One validated message waiting for a batch."""

    envelope: Envelope
    event: Any
    handler: Handler
    attempt: int
    prepare: Prepare | None
    # True: handled here; False: a duplicate (already in the inbox); None: not done, do it
    # alone; an exception: its handler raised it (not a passing database problem) in this batch.
    done: asyncio.Future[bool | BaseException | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Batcher:
    """Group ready messages into transactions, at most `concurrency` batches at once.

    A lone message is a batch of one: the same statements as the one-at-a-time path. While the
    batches in flight hold every slot, new messages wait and form the next, larger batch, so the
    batch size follows the load and an idle consumer adds no delay.
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        outbox: OutboxWriter,
        consumer: str,
        service: str,
        max_size: int,
        concurrency: int,
        deps: object = None,
    ) -> None:
        self._pool = pool
        self._deps = deps
        self._outbox = outbox
        self._consumer = consumer
        self._service = service
        self._max_size = max_size
        self._concurrency = concurrency
        self._pending: list[BatchItem] = []
        self._running: set[asyncio.Task[None]] = set()
        self._flush_scheduled = False

    async def submit(self, item: BatchItem) -> bool | BaseException | None:
        """Queue a message; see `BatchItem.done` for what comes back."""
        self._pending.append(item)
        if not self._flush_scheduled:
            # Let every delivery that arrived in this same read of the socket join first.
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return await item.done

    def _flush(self) -> None:
        self._flush_scheduled = False
        while self._pending and len(self._running) < self._concurrency:
            items = self._pending[: self._max_size]
            del self._pending[: self._max_size]
            task = asyncio.create_task(self._run(items), name="consumer-batch")
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._flush()

    async def _run(self, items: list[BatchItem]) -> None:
        try:
            started = time.perf_counter()
            handled = await self._commit(items)
            elapsed = time.perf_counter() - started
            child(CONSUMER_BATCH_SIZE, self._service, self._consumer).observe(len(items))
        except BaseException as exc:
            if isinstance(exc, _HandlerFailed):
                exc.item.done.set_result(exc.error)
                log.info("batch_handed_back", size=len(items), error=repr(exc.error))
            elif isinstance(exc, Exception):
                log.info("batch_handed_back", size=len(items), error=repr(exc))
            for item in items:
                if not item.done.done():
                    item.done.set_result(None)
            if not isinstance(exc, Exception):
                raise
            return
        for item in items:
            was_handled = item.envelope.message_id in handled
            if was_handled:
                child(HANDLER_SECONDS, self._service, item.envelope.routing_key).observe(
                    elapsed / len(items)
                )
            # A handled message is counted (jiangxin_messages_consumed_total) and its handler
            # logs what it did; the line per message is for debugging. A duplicate is rarer.
            (log.debug if was_handled else log.info)(
                "message_handled" if was_handled else "message_duplicate_skipped",
                message_id=str(item.envelope.message_id),
                message_type=item.envelope.routing_key,
                correlation_id=item.envelope.correlation_id,
                queue=self._consumer,
                batch=len(items),
            )
            if not item.done.done():
                item.done.set_result(was_handled)

    async def _commit(self, items: list[BatchItem]) -> set[UUID]:
        async with self._pool.acquire() as conn, conn.transaction():
            if len(items) > 1:
                # A batch must not sit behind a lock for long (or in a deadlock until the server
                # notices): give up quickly and let its messages go one by one, which wait.
                await conn.execute(_LOCK_TIMEOUT)
            fresh = await inbox.claim_many(
                conn,
                consumer=self._consumer,
                messages=[(i.envelope.message_id, i.envelope.routing_key) for i in items],
            )
            todo: list[BatchItem] = []
            for item in items:
                if item.envelope.message_id in fresh:
                    fresh.discard(item.envelope.message_id)
                    todo.append(item)
            prepared = await self._prepare(conn, todo)
            for item in todo:
                envelope = item.envelope
                with handling(envelope, queue=self._consumer):
                    uow = PostgresUnitOfWork(conn, self._outbox)
                    ctx = HandlerContext(
                        envelope=envelope, uow=uow, attempt=item.attempt, deps=self._deps,
                        prepared=prepared.get(envelope.message_id),
                    )
                    try:
                        await item.handler(item.event, ctx)
                    except Exception as exc:
                        if is_transient(exc) or is_unavailable(exc) or conn.is_closed():
                            raise  # everyone retries on their own, with the usual waits
                        raise _HandlerFailed(item, exc) from exc
        return {item.envelope.message_id for item in todo}

    async def _prepare(self, conn: Conn, todo: list[BatchItem]) -> dict[UUID, object]:
        """Run each `prepare` once for its messages; return what each message's handler gets."""
        groups: dict[Prepare, list[BatchItem]] = {}
        for item in todo:
            if item.prepare is not None:
                groups.setdefault(item.prepare, []).append(item)
        prepared: dict[UUID, object] = {}
        for prepare, group in groups.items():
            if len(group) < 2:  # alone, a message takes the one-at-a-time statements
                continue
            uow = PostgresUnitOfWork(conn, self._outbox)
            results = await prepare([
                (i.event, HandlerContext(envelope=i.envelope, uow=uow, attempt=i.attempt,
                                         deps=self._deps))
                for i in group
            ])
            if len(results) != len(group):
                raise RuntimeError(f"prepare gave {len(results)} results for {len(group)}")
            prepared.update(zip((i.envelope.message_id for i in group), results, strict=True))
        return prepared
