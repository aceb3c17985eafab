"""Apply delivery receipts: idempotent, order-tolerant, announcing each final outcome once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.notification import repository
from services.notification.commands import Receipt, RecordReceipts
from services.notification.deps import Deps
from services.notification.domain.model import LedgerRow
from services.notification.handlers.outcomes import (
    announce_delivered,
    announce_failed,
    fall_back,
    working_on,
)
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def record_receipts(cmd: RecordReceipts, *, deps: Deps) -> int:
    """Settle the rows the receipts are about (one transaction); return how many changed."""

    async def work(uow: UnitOfWork) -> int:
        return await _record(cmd, uow=uow, deps=deps)

    return await in_transaction(deps.uows, work)


async def _record(cmd: RecordReceipts, *, uow: UnitOfWork, deps: Deps) -> int:
    now = deps.clock.now()
    changed = 0
    for receipt in cmd.receipts:
        row = await repository.find_for_receipt(
            uow.conn, provider=cmd.provider, out_id=_uuid(receipt.out_id),
            provider_message_id=receipt.provider_message_id, phone=receipt.phone,
        )
        fresh = await repository.insert_receipt(
            uow.conn, provider=cmd.provider, key=receipt.key,
            notification_id=row.id if row else None, delivered=receipt.delivered,
            code=receipt.code, now=now, payload=receipt.payload,
        )
        if row is None or not fresh:
            log.info("receipt_ignored", provider=cmd.provider, duplicate=not fresh,
                     matched=row is not None)
            continue
        with working_on(row):
            changed += await _apply(receipt, row, provider=cmd.provider, now=now, uow=uow,
                                    deps=deps)
    return changed


async def _apply(receipt: Receipt, row: LedgerRow, *, provider: str, now: datetime,
                 uow: UnitOfWork, deps: Deps) -> int:
    # The first final report wins; later or repeated ones change nothing.
    if not await repository.settle(
        uow.conn, row.id, delivered=receipt.delivered,
        code=None if receipt.delivered else receipt.code, provider=provider, now=now,
    ):
        return 0
    log.info("receipt_applied", provider=provider, delivered=receipt.delivered,
             code=receipt.code, recipient=row.recipient_masked)
    if receipt.delivered:
        await announce_delivered(row, provider=provider, at=receipt.at or now, uow=uow)
    else:
        await announce_failed(row, provider=provider, reason=receipt.code, permanent=True,
                              uow=uow)
        await fall_back(row, uow=uow, deps=deps, now=now)
    return 1


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
