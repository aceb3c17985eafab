"""Resolve rows whose fate is unknown: interrupted sends, and the provider's own records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from services.notification import repository
from services.notification.deps import Deps
from services.notification.domain.model import Channel, LedgerRow, Status
from services.notification.handlers.outcomes import (
    announce_delivered,
    announce_failed,
    fall_back,
    working_on,
)
from services.notification.providers.base import Lookup, LookupResult, StatusQuery
from services.notification.repository import codes
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)


async def reconcile(*, deps: Deps, stuck_after_s: float, unknown_expires_after_s: float) -> None:
    """Call interrupted sends unknown; give up on unknowns no receipt resolved in time; mask
    the sign-in codes of settled or expired messages."""

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        stuck = await repository.mark_stuck_unknown(
            uow.conn, before=now - timedelta(seconds=stuck_after_s), now=now
        )
        if stuck:
            log.warning("notifications_interrupted", count=stuck)
        expired = await repository.expire_unknown(
            uow.conn, before=now - timedelta(seconds=unknown_expires_after_s), now=now
        )
        for row in expired:
            with working_on(row):
                log.error("notification_unknown_expired", recipient=row.recipient_masked,
                          provider=row.provider)
                await announce_failed(row, provider=row.provider or "none",
                                      reason="delivery_unknown", permanent=False, uow=uow)
        ledger, sink = await codes.mask_spent_codes(uow.conn, now=now)
        if ledger or sink:
            log.info("sign_in_codes_masked", ledger=ledger, sink=sink)

    await in_transaction(deps.uows, work)


async def unknown_to_check(*, deps: Deps, after_s: float, limit: int = 50) -> list[LedgerRow]:
    """Take unknown rows old enough to ask their provider about."""

    async def work(uow: UnitOfWork) -> list[LedgerRow]:
        now = deps.clock.now()
        return await repository.claim_unknown_checks(
            uow.conn, before=now - timedelta(seconds=after_s), now=now, limit=limit
        )

    return await in_transaction(deps.uows, work)


async def look_up(rows: Sequence[LedgerRow], *, deps: Deps) -> list[tuple[LedgerRow, LookupResult]]:
    """Ask the providers that may hold each row (outside any transaction), where they can
    answer; a row comes back with the provider that answered for it."""
    answers = []
    for row in rows:
        with working_on(row):
            answer = await _ask(row, _who_may_hold(row, deps))
        if answer is not None:
            answers.append(answer)
    return answers


def _who_may_hold(row: LedgerRow, deps: Deps) -> list[StatusQuery]:
    """Return the row's provider; for a send cut off before its provider was recorded (a
    crash), every SMS provider in failover order, but only if each of them can answer:
    otherwise "nobody has it" cannot be known."""
    queries = {p.name: p for p, _ in deps.sms if isinstance(p, StatusQuery)}
    if row.provider is not None:
        return [queries[row.provider]] if row.provider in queries else []
    names = [p.name for p, _ in deps.sms]
    if row.channel is not Channel.SMS or not set(names) <= queries.keys():
        return []
    return [queries[name] for name in names]


async def _ask(
    row: LedgerRow, providers: Sequence[StatusQuery]
) -> tuple[LedgerRow, LookupResult] | None:
    """Return the first answer that knows the message, else "not found" when every provider
    said so; None when there is nobody to ask."""
    answer: LookupResult | None = None
    for provider in providers:
        answer = await provider.look_up(id=row.id, phone=row.recipient, sent_at=row.created_at)
        if answer.state is not Lookup.NOT_FOUND:
            return replace(row, provider=provider.name), answer
    return (row, answer) if answer is not None else None


async def record_lookups(
    answers: Sequence[tuple[LedgerRow, LookupResult]], *, deps: Deps
) -> None:
    """Settle unknown rows from what their provider's records say (one transaction)."""

    async def work(uow: UnitOfWork) -> None:
        now = deps.clock.now()
        for row, answer in answers:
            with working_on(row):
                await _record_lookup(row, answer, uow=uow, deps=deps, now=now)

    await in_transaction(deps.uows, work)


async def _record_lookup(
    row: LedgerRow, answer: LookupResult, *, uow: UnitOfWork, deps: Deps, now: datetime
) -> None:
    provider = row.provider or "none"
    log.info("notification_looked_up", provider=provider, state=answer.state.value,
             code=answer.code)
    if answer.state in (Lookup.DELIVERED, Lookup.FAILED):
        delivered = answer.state is Lookup.DELIVERED
        if not await repository.settle(uow.conn, row.id, delivered=delivered,
                                       code=None if delivered else answer.code,
                                       provider=provider, now=now):
            return
        if delivered:
            await announce_delivered(row, provider=provider, at=now, uow=uow)
        else:
            await announce_failed(row, provider=provider, reason=answer.code, permanent=True,
                                  uow=uow)
            await fall_back(row, uow=uow, deps=deps, now=now)
    elif answer.state is Lookup.PENDING:
        await repository.resolve_unknown(uow.conn, row.id, status=Status.SUBMITTED,
                                         code=None, now=now)
    elif answer.state is Lookup.NOT_FOUND:
        # The provider's own records show it never took the message: sending is safe.
        await repository.resolve_unknown(uow.conn, row.id, status=Status.QUEUED,
                                         code="not_taken_by_provider", now=now)
