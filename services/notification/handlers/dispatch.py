"""Claim due rows for sending and record what the providers answered (one transaction each)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.notification import repository
from services.notification.deps import Deps
from services.notification.domain.model import Decision, LedgerRow, Status
from services.notification.handlers.outcomes import (
    OutcomeBatch,
    announce_delivered,
    announce_failed,
    fall_back,
    working_on,
)
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def claim(*, deps: Deps, limit: int) -> tuple[list[LedgerRow], int]:
    """Claim due rows (`sending`) and count those a newer state overtook (superseded).

    Committed before any provider call.
    """

    async def work(uow: UnitOfWork) -> tuple[list[LedgerRow], int]:
        rows, overtaken = await repository.claim_due(uow.conn, now=deps.clock.now(), limit=limit)
        for row in overtaken:
            with working_on(row):
                log.info("notification_overtaken", seq=row.seq, recipient=row.recipient_masked)
        return rows, len(overtaken)

    return await in_transaction(deps.uows, work)


async def record(decisions: Sequence[Decision], *, deps: Deps) -> None:
    """Store decisions, log the calls, publish outcomes, queue fallbacks (one transaction).

    The outcome events of the whole batch go into the outbox in one statement, each carrying
    the journey of its own row.
    """

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        updated = await repository.apply_decisions(uow.conn, decisions, now=now)
        await repository.insert_attempts(
            uow.conn, (a for d in decisions for a in d.attempts), now=now
        )
        batch = OutcomeBatch(uow, deps.outbox)
        for d in decisions:
            if d.row.id not in updated:
                continue  # a receipt settled it meanwhile
            with working_on(d.row):
                await _record_one(d, uow=batch, deps=deps, now=now)
        await batch.flush()

    await in_transaction(deps.uows, work)


async def _record_one(d: Decision, *, uow: UnitOfWork, deps: Deps, now: datetime) -> None:
    _log(d)
    provider = d.provider or "none"
    if d.announce == "delivered":
        await announce_delivered(d.row, provider=provider, at=now, uow=uow)
    elif d.announce == "failed":
        await announce_failed(d.row, provider=provider, reason=d.error_code or "failed",
                              permanent=d.permanent, uow=uow)
    if d.fall_back:
        await fall_back(d.row, uow=uow, deps=deps, now=now)


def _log(d: Decision) -> None:
    level = "warning" if d.status in (Status.FAILED, Status.UNKNOWN) else "info"
    getattr(log, level)(
        "notification_attempted", channel=d.row.channel.value,
        recipient=d.row.recipient_masked, status=d.status.value, provider=d.provider,
        code=d.error_code, attempt=d.row.attempts,
    )
