"""Turn an incoming event into ledger rows: render, check, schedule. No provider call here."""

from __future__ import annotations

from uuid import UUID

from services.notification import repository
from services.notification.commands import Notify
from services.notification.deps import Deps
from services.notification.domain.model import Channel, Contact, Status
from services.notification.domain.planning import Plan
from services.notification.domain.rules import schedule_email
from services.notification.handlers.drafts import (
    Draft,
    Opened,
    SmsTry,
    draft_of,
    insert_row,
    intake_key,
    opened_from,
    render,
)
from services.notification.handlers.outcomes import announce_failed, content_hash
from services.notification.handlers.sms_intake import record_sms
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)
# The reason recorded when one channel's text cannot be made (e.g. the SMS passes 500 characters).
UNRENDERABLE = "template_refused"


async def notify(
    cmd: Notify, *, uow: UnitOfWork, deps: Deps, opened: Opened | None = None
) -> list[UUID]:
    """Record the messages an event calls for; the dispatcher sends them after commit.

    `opened`: this event's intake as a batch's `prepare_many` already opened it.
    """
    if opened is None or opened.draft.cmd.source_message_id != cmd.source_message_id:
        opened = await open_intake(cmd, uow=uow, deps=deps)
    draft, plan = opened.draft, opened.plan
    ids = [await _refuse(draft, contact, reason, uow=uow) for contact, reason in plan.refused]
    if opened.stale:
        ids += await _record_stale(draft, plan, uow=uow, deps=deps)
    else:
        ids += await _record_plan(draft, plan, uow=uow, deps=deps, tried=opened.first_sms)
    if not ids:
        log.info("notification_unreachable", event_type=draft.spec.event_type)
    return ids


async def open_intake(cmd: Notify, *, uow: UnitOfWork, deps: Deps) -> Opened:
    """Draft an event's messages and open its intake (newer news known, preferences, locks)."""
    draft = draft_of(cmd, deps)
    overtaking, stored = await repository.begin_intake(uow.conn, intake_key(draft))
    return opened_from(draft, overtaking, stored)


async def _refuse(draft: Draft, contact: Contact, reason: str, *, uow: UnitOfWork) -> UUID:
    row = draft.row(contact, None, status=Status.FAILED, not_before=draft.now, fallbacks=[])
    if await repository.insert_notification(
        uow.conn, row, content_hash="", error_code=reason
    ):
        await announce_failed(row, provider="none", reason=reason, permanent=True, uow=uow)
        log.warning("notification_refused", notification_id=str(row.id),
                    channel=contact.channel.value, recipient=row.recipient_masked, reason=reason)
    return row.id


async def _record_stale(draft: Draft, plan: Plan, *, uow: UnitOfWork, deps: Deps) -> list[UUID]:
    if not plan.contacts:
        return []
    contact = plan.contacts[0]
    rendered = render(draft, contact, deps)
    row = draft.row(contact, rendered, status=Status.SUPERSEDED, not_before=draft.now, fallbacks=[])
    await repository.insert_notification(
        uow.conn, row, content_hash="", error_code="out_of_order"
    )
    log.info("notification_stale_skipped", notification_id=str(row.id), seq=draft.seq)
    return [row.id]


async def _record_plan(
    draft: Draft, plan: Plan, *, uow: UnitOfWork, deps: Deps, tried: SmsTry | None
) -> list[UUID]:
    ids: list[UUID] = []
    contacts = list(plan.contacts)
    while contacts:
        contact, rest = contacts[0], contacts[1:]
        rendered = tried.rendered if tried else render(draft, contact, deps)
        if rendered is None:  # this channel only: the next one may still carry the news
            ids.append(await _refuse(draft, contact, UNRENDERABLE, uow=uow))
            contacts = rest
            continue
        digest = content_hash(contact.channel, contact.address, rendered.body)
        if contact.channel is Channel.SMS:
            row, schedule = await record_sms(
                draft, contact, rendered, digest, rest, uow=uow, deps=deps, tried=tried
            )
        else:
            schedule = schedule_email(
                now=draft.now, critical=draft.critical, quiet_until=draft.release
            )
            row = draft.row(contact, rendered, status=schedule.status,
                            not_before=schedule.not_before, fallbacks=rest)
            await insert_row(row, rendered, digest, schedule, uow=uow)
        tried = None
        ids.append(row.id)
        log.info("notification_recorded", notification_id=str(row.id),
                 event_type=draft.spec.event_type, channel=contact.channel.value,
                 recipient=row.recipient_masked, status=schedule.status.value,
                 reason=schedule.reason, not_before=schedule.not_before.isoformat())
        if schedule.status is not Status.SUPPRESSED:
            break
        contacts = rest
    return ids
