"""An event's SMS under its number's rate-limit lock: drafted, offered to the ledger, scheduled."""

from __future__ import annotations

from services.notification import repository
from services.notification.deps import Deps
from services.notification.domain.model import (
    NOTHING_RECENT,
    Channel,
    Contact,
    LedgerRow,
    RecentSends,
    Rendered,
    Schedule,
    Status,
)
from services.notification.domain.rules import local_day_start, next_morning, schedule_sms
from services.notification.handlers.drafts import Draft, Opened, SmsTry, insert_row, render
from services.notification.handlers.outcomes import content_hash
from shared.messaging.uow import UnitOfWork


def first_sms(opened: Opened, deps: Deps) -> SmsTry | None:
    """Draft the plan's first message when it is an SMS to the locked number; None when the
    plan starts otherwise (its handler records it the usual way)."""
    draft, contacts = opened.draft, opened.plan.contacts
    if opened.stale or not contacts or contacts[0].channel is not Channel.SMS:
        return None
    contact = contacts[0]
    if contact.address != draft.locked:
        return None
    rendered = render(draft, contact, deps, quiet=True)  # its handler says why, if it must
    if rendered is None:
        return None
    digest = content_hash(contact.channel, contact.address, rendered.body)
    return draft_sms(draft, contact, rendered, digest, list(contacts[1:]), deps)


def sms_insert(draft: Draft, tried: SmsTry) -> repository.SmsInsert:
    """Return what offering a drafted SMS to the ledger takes."""
    return repository.SmsInsert(
        row=tried.row, chars=tried.rendered.chars, segments=tried.rendered.segments,
        content_hash=tried.digest, error_code=tried.schedule.reason,
        related_id=tried.schedule.related_id, day_start=local_day_start(draft.now, draft.tz),
    )


def draft_sms(
    draft: Draft, contact: Contact, rendered: Rendered, digest: str, rest: list[Contact],
    deps: Deps,
) -> SmsTry:
    schedule = sms_schedule(draft, NOTHING_RECENT, rest, deps=deps)
    row = draft.row(contact, rendered, status=schedule.status, not_before=schedule.not_before,
                    fallbacks=rest)
    return SmsTry(rendered, digest, row, schedule)


async def record_sms(
    draft: Draft, contact: Contact, rendered: Rendered, digest: str, rest: list[Contact], *,
    uow: UnitOfWork, deps: Deps, tried: SmsTry | None,
) -> tuple[LedgerRow, Schedule]:
    """Schedule an SMS under its number's rate-limit lock and write its row.

    The usual case, nothing sent to the number lately, takes one statement: the row goes in as
    scheduled for that case unless the ledger shows otherwise; then it is scheduled with what
    the ledger shows and written by a second statement. A batch's `prepare_many` may have made
    the first statement already for this SMS (`tried`, with its outcome).
    """
    if tried is None:
        if contact.address != draft.locked:
            await repository.lock_recipient(uow.conn, contact.address)
        tried = draft_sms(draft, contact, rendered, digest, rest, deps)
        recent = await repository.insert_sms_unless_recent(
            uow.conn, sms_insert(draft, tried), window_s=deps.policy.limits.same_content_window_s
        )
    else:
        recent = tried.recent
    if recent is None:
        return tried.row, tried.schedule
    schedule = sms_schedule(draft, recent, rest, deps=deps)
    row = draft.row(contact, rendered, status=schedule.status, not_before=schedule.not_before,
                    fallbacks=rest)
    await insert_row(row, rendered, digest, schedule, uow=uow)
    return row, schedule


def sms_schedule(
    draft: Draft, recent: RecentSends, rest: list[Contact], *, deps: Deps
) -> Schedule:
    schedule = schedule_sms(
        now=draft.now, otp=draft.spec.otp, critical=draft.critical, recent=recent,
        limits=deps.policy.limits, quiet_until=draft.release,
        morning=next_morning(draft.now, draft.tz, deps.policy.quiet),
        expires_at=draft.expires_at,
    )
    if schedule.reason == "template_daily_limit" and rest:
        # Rather than hit the provider's per-template limit, use the next channel now.
        return Schedule(Status.SUPPRESSED, draft.now, "template_daily_limit")
    return schedule
