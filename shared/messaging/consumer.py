"""Consume a service's queue: per-aggregate order, batches, delay tiers, `.error`, `.skipped`.

Running a handler with its inbox claim is runner.py; acking or handing back is settling.py.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError

from shared.config import ServiceSettings, default_of
from shared.errors import PermanentFailure
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.messaging.batch import Batcher, BatchItem
from shared.messaging.context import handling
from shared.messaging.failures import FailureRouter
from shared.messaging.outbox import OutboxWriter
from shared.messaging.runner import HandlerRunner, Stopping
from shared.messaging.settling import Outcome, settle
from shared.messaging.subscriptions import Subscriptions
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import (
    ATTEMPT_HEADER,
    ConsumerHandle,
    Delivery,
    Transport,
)
from shared.metrics import HANDLER_SECONDS, MESSAGES_CONSUMED, MESSAGES_FAILED, child

log = get_logger(__name__)


class MessageTooLarge(Exception):
    """A message bigger than any event of ours: parked unread instead of parsed."""


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    """How hard to try before giving up on a message (the configurable parts, and why, are in
    ServiceSettings: prefetch, immediate_retries, consumer_batch_*, max_message_bytes)."""

    prefetch: int = default_of(ServiceSettings, "prefetch")
    immediate_retries: int = default_of(ServiceSettings, "immediate_retries")
    lock_retry_base_s: float = 0.01
    lock_retry_cap_s: float = 0.25
    unavailable_backoff_max_s: float = 5.0
    batch_max: int = default_of(ServiceSettings, "consumer_batch_max")
    batch_concurrency: int = default_of(ServiceSettings, "consumer_batch_concurrency")
    max_message_bytes: int = default_of(ServiceSettings, "max_message_bytes")

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ConsumerSettings:
        """Return the consumer's settings as a service is configured."""
        return cls(
            prefetch=settings.prefetch,
            immediate_retries=settings.immediate_retries,
            batch_max=settings.consumer_batch_max,
            batch_concurrency=settings.consumer_batch_concurrency,
            max_message_bytes=settings.max_message_bytes,
        )


class Consumer:
    """Run a service's subscriptions on its work queue with exactly-once effects."""

    def __init__(
        self,
        *,
        service: str,
        transport: Transport,
        topology: QueueTopology,
        subscriptions: Subscriptions,
        pool: asyncpg.Pool,
        outbox: OutboxWriter,
        settings: ConsumerSettings | None = None,
        deps: object = None,
    ) -> None:
        self.service = service
        self.deps = deps  # what every handler gets as ctx.deps
        self.transport = transport
        self.topology = topology
        self.subscriptions = subscriptions
        self.pool = pool
        self.outbox = outbox
        self.settings = settings or ConsumerSettings()
        self.failures = FailureRouter(transport=transport, topology=topology, outbox=outbox)
        self._handle: ConsumerHandle | None = None
        self._chains: dict[str, asyncio.Future[None]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self._runner = HandlerRunner(
            pool=pool, outbox=outbox, queue=topology.queue, deps=deps, settings=self.settings,
            stopping=self._stopping,
        )
        self._batcher = Batcher(
            pool=pool,
            outbox=outbox,
            consumer=topology.queue,
            service=service,
            max_size=self.settings.batch_max,
            concurrency=self.settings.batch_concurrency,
            deps=deps,
        )

    async def start(self) -> None:
        """Declare the topology and start consuming."""
        await self.transport.declare(self.topology)
        self._handle = await self.transport.consume(
            self.topology.queue, self._on_delivery, prefetch=self.settings.prefetch
        )
        log.info("consumer_started", queue=self.topology.queue, bindings=self.topology.bindings)

    async def is_consuming(self) -> bool:
        """Tell whether the consumer has started and not been stopped."""
        return self._handle is not None and not self._stopping.is_set()

    async def stop(self, *, grace_s: float = 20.0) -> None:
        """Stop taking messages, let in-flight ones finish within the grace, return the rest."""
        self._stopping.set()
        if self._handle is not None:
            await self._handle.cancel()
        pending = {t for t in self._inflight if not t.done()}
        if pending:
            _done, late = await asyncio.wait(pending, timeout=grace_s)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        log.info("consumer_stopped", queue=self.topology.queue)

    async def _on_delivery(self, delivery: Delivery) -> None:
        # Messages of one aggregate are handled one after another, in arrival order;
        # different aggregates run concurrently up to the prefetch.
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        key = str(delivery.headers.get("x-aggregate-id") or delivery.message_id or "")
        previous = self._chains.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._chains[key] = mine
        try:
            if previous is not None:
                await asyncio.shield(previous)
            await self._settle(delivery)
        finally:
            mine.set_result(None)
            if self._chains.get(key) is mine:
                del self._chains[key]
            self._inflight.discard(task)

    async def _settle(self, delivery: Delivery) -> None:
        outcome = await settle(delivery, lambda: self.handle(delivery))
        child(
            MESSAGES_CONSUMED, self.service, self.topology.queue, delivery.type or "?",
            outcome.value,
        ).inc()

    async def handle(self, delivery: Delivery) -> Outcome:
        """Decide the fate of one delivery, in a batch when it can; the caller then settles it."""
        # Only a well-formed, subscribed event can join a batch; anything else takes the
        # one-at-a-time path, which parks, skips or retries it. A message whose handler failed
        # in a batch counts that as its attempt; the others of that batch are handed back.
        if len(delivery.body) > self.settings.max_message_bytes:
            limit = self.settings.max_message_bytes
            too_large = MessageTooLarge(f"{len(delivery.body)} bytes, the limit is {limit}")
            await self.failures.park(delivery, too_large, attempts=0, envelope=None)
            return Outcome.INVALID
        if self.settings.batch_max > 1 and not self._stopping.is_set():
            item = self._batch_item(delivery)
            if item is not None:
                result = await self._batcher.submit(item)
                if isinstance(result, BaseException):
                    with handling(item.envelope, queue=self.topology.queue):
                        return await self._failed(delivery, item.envelope, result, item.attempt)
                if result is not None:
                    return Outcome.HANDLED if result else Outcome.DUPLICATE
        return await self.process(delivery)

    def _batch_item(self, delivery: Delivery) -> BatchItem | None:
        try:
            envelope = Envelope.model_validate_json(delivery.body)
        except ValidationError:
            return None
        entry = self.subscriptions.lookup(envelope.routing_key)
        if entry is None:
            return None
        event_cls, handler = entry
        try:
            event = event_cls.model_validate(envelope.data)
        except ValidationError:
            return None
        attempt = int(delivery.headers.get(ATTEMPT_HEADER, 0))
        return BatchItem(
            envelope=envelope, event=event, handler=handler, attempt=attempt,
            prepare=self.subscriptions.prepare_of(envelope.routing_key),
        )

    async def process(self, delivery: Delivery) -> Outcome:
        """Decide the fate of one delivery; the caller acks unless it is RETURNED."""
        try:
            envelope = Envelope.model_validate_json(delivery.body)
        except ValidationError as exc:
            await self.failures.park(delivery, exc, attempts=0, envelope=None)
            return Outcome.INVALID
        with handling(envelope, queue=self.topology.queue):
            return await self._dispatch(delivery, envelope)

    async def _dispatch(self, delivery: Delivery, envelope: Envelope) -> Outcome:
        entry = self.subscriptions.lookup(envelope.routing_key)
        if entry is None:
            await self.failures.skip(delivery)
            return Outcome.SKIPPED
        event_cls, handler = entry
        attempt = int(delivery.headers.get(ATTEMPT_HEADER, 0))
        try:
            event = event_cls.model_validate(envelope.data)
        except ValidationError as exc:
            await self.failures.park(delivery, exc, attempts=attempt + 1, envelope=envelope)
            return Outcome.INVALID
        started = time.perf_counter()
        try:
            duplicate = not await self._runner.run(envelope, event, handler, attempt)
        except Stopping:
            return Outcome.RETURNED
        except Exception as exc:
            return await self._failed(delivery, envelope, exc, attempt)
        elapsed = time.perf_counter() - started
        child(HANDLER_SECONDS, self.service, envelope.routing_key).observe(elapsed)
        if duplicate:
            log.info("message_duplicate_skipped")
            return Outcome.DUPLICATE
        log.debug("message_handled", ms=round(elapsed * 1000, 1))  # counted in the metrics
        return Outcome.HANDLED

    async def _failed(
        self, delivery: Delivery, envelope: Envelope, exc: BaseException, attempt: int
    ) -> Outcome:
        """A handler failed for good this attempt: park it now, or send it to a delay tier."""
        if isinstance(exc, PermanentFailure):
            await self.failures.park(delivery, exc, attempts=attempt + 1, envelope=envelope)
            return Outcome.FAULTED
        MESSAGES_FAILED.labels(
            self.service, self.topology.queue, envelope.routing_key, type(exc).__name__
        ).inc()
        if await self.failures.retry_later(delivery, exc, attempt):
            return Outcome.DELAYED
        await self.failures.park(delivery, exc, attempts=attempt + 1, envelope=envelope)
        return Outcome.FAULTED
