"""The dispatcher: claim due rows, call providers outside any transaction, record, reconcile."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.notification.config import Settings
from services.notification.deps import Deps
from services.notification.domain.model import Decision
from services.notification.handlers import dispatch, lookups, sending
from shared.config import default_of
from shared.db import Listener, is_unavailable
from shared.logging import get_logger

log = get_logger(__name__)
CHANNEL = "jiangxin_notification_due"


@dataclass(frozen=True, slots=True)
class DispatcherSettings:
    """Batch size, concurrency and timers (defaults as in the service's Settings)."""

    batch: int = default_of(Settings, "dispatch_batch")
    concurrency: int = default_of(Settings, "dispatch_concurrency")
    poll_s: float = default_of(Settings, "dispatch_poll_s")
    linger_s: float = default_of(Settings, "dispatch_linger_s")
    reconcile_interval_s: float = default_of(Settings, "reconcile_interval_s")
    stuck_after_s: float = default_of(Settings, "sending_stuck_after_s")
    unknown_expires_after_s: float = default_of(Settings, "unknown_expires_after_s")
    unknown_query_after_s: float = default_of(Settings, "unknown_query_after_s")

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatcherSettings:
        """Return the dispatcher's settings as the service is configured."""
        return cls(
            batch=settings.dispatch_batch, concurrency=settings.dispatch_concurrency,
            poll_s=settings.dispatch_poll_s, linger_s=settings.dispatch_linger_s,
            reconcile_interval_s=settings.reconcile_interval_s,
            stuck_after_s=settings.sending_stuck_after_s,
            unknown_expires_after_s=settings.unknown_expires_after_s,
            unknown_query_after_s=settings.unknown_query_after_s,
        )


class Dispatcher:
    """Send due notifications; several instances may run (rows are claimed SKIP LOCKED)."""

    def __init__(self, *, dsn: str, deps: Deps, settings: DispatcherSettings):
        self.dsn, self.deps, self.settings = dsn, deps, settings
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        # LISTEN makes dispatch prompt; polling every poll_s covers the time it is down.
        self.listener = Listener(dsn, CHANNEL, self._wake.set)
        self._next_reconcile = 0.0

    def wake(self) -> None:
        """Look for due rows now."""
        self._wake.set()

    async def stop(self) -> None:
        """Finish the batch in hand and stop."""
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Loop until stopped."""
        listener = asyncio.create_task(self.listener.run(), name="notification-listen")
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    handled = await self.dispatch_once()
                    await self._maybe_reconcile()
                except Exception as exc:  # database down: keep trying, never crash the service
                    log.warning("dispatch_failed", error=repr(exc))
                    handled = 0
                    await self._pause(1.0)
                if handled >= self.settings.batch:
                    continue
                if await self._pause(self.settings.poll_s, wakeable=True):
                    # Let rows committing right now join the next batch.
                    await asyncio.sleep(self.settings.linger_s)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def dispatch_once(self) -> int:
        """Claim one batch, send it, record it; return how many rows were handled."""
        rows, overtaken = await dispatch.claim(deps=self.deps, limit=self.settings.batch)
        if not rows:
            return overtaken
        decisions = await sending.send_all(rows, deps=self.deps, limit=self.settings.concurrency)
        await self._record(decisions)
        return len(rows) + overtaken

    async def _record(self, decisions: list[Decision]) -> None:
        """Store what the providers answered. The messages have left: while the database is
        unreachable, keep the answers and try again rather than leave the rows `sending` for
        the crash path (unknown, then a provider lookup or, without one, failed)."""
        delay = 0.5
        while True:
            try:
                await dispatch.record(decisions, deps=self.deps)
                return
            except Exception as exc:
                if not (is_unavailable(exc) or isinstance(exc, OSError)) or self._stop.is_set():
                    raise
                log.warning("dispatch_record_waiting", error=repr(exc), rows=len(decisions))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def reconcile_now(self) -> None:
        """Resolve interrupted and long-unknown rows; ask providers that can answer."""
        await lookups.reconcile(
            deps=self.deps, stuck_after_s=self.settings.stuck_after_s,
            unknown_expires_after_s=self.settings.unknown_expires_after_s,
        )
        rows = await lookups.unknown_to_check(
            deps=self.deps, after_s=self.settings.unknown_query_after_s
        )
        if rows:
            answers = await lookups.look_up(rows, deps=self.deps)
            await lookups.record_lookups(answers, deps=self.deps)

    async def _maybe_reconcile(self) -> None:
        if time.monotonic() >= self._next_reconcile:
            self._next_reconcile = time.monotonic() + self.settings.reconcile_interval_s
            await self.reconcile_now()

    async def _pause(self, seconds: float, *, wakeable: bool = False) -> bool:
        """Wait up to `seconds`; return True when woken before that."""
        event = self._wake if wakeable else self._stop
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return False
        return not self._stop.is_set()


@contextlib.asynccontextmanager
async def running(dispatcher: Dispatcher, *, grace_s: float) -> AsyncIterator[None]:
    """Run the dispatcher as a task; at the end, let it finish its batch for up to `grace_s`."""
    task = asyncio.create_task(dispatcher.run(), name="notification-dispatcher")
    yield
    await dispatcher.stop()
    try:
        await asyncio.wait_for(task, grace_s)
    except TimeoutError:
        task.cancel()
        log.warning("dispatcher_stop_timed_out")
