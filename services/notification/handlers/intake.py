"""Turn an incoming event into ledger rows: render, check, schedule. No provider call here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from services.notification import repository
from services.notification.commands import Notify
from services.notification.domain.contacts import check_mobile
from services.notification.domain.model import (
    NOTHING_RECENT,
    Channel,
    Contact,
    LedgerRow,
    Person,
    Preferences,
    RecentSends,
    Rendered,
    Schedule,
    Status,
)
from services.notification.domain.planning import Plan, plan_contacts, pref_keys
from services.notification.domain.rules import (
    local_day_start,
    next_morning,
    quiet_release,
    schedule_email,
    schedule_sms,
    zone,
)
from services.notification.handlers.deps import Deps
from services.notification.handlers.outcomes import (
    announce_failed,
    content_hash,
    mask,
    unsubscribe_token,
)
from services.notification.templates.registry import TemplateError
from services.notification.templates.variables import EventSpec, person_of
from shared.errors import PermanentFailure
from shared.ids import new_id
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


def draft_of(cmd: Notify, deps: Deps) -> Draft:
    """Render the event's variables and gather what its rows share; no I/O."""
    spec = deps.registry.spec(cmd.event.event_type)
    now = deps.clock.now()
    person = person_of(cmd.event, deps.policy.default_timezone)
    tz = zone(person.timezone, deps.policy.default_timezone)
    try:
        built = spec.build(cmd.event, person.locale, tz, now)
        variables = deps.registry.validate(spec.event_type, built)
    except (TemplateError, KeyError, ValueError) as exc:
        raise PermanentFailure(f"cannot render {spec.event_type}: {exc}") from exc
    # The number an SMS would go to: its rate-limit lock is taken with the seq and preferences.
    phone = (
        check_mobile(person.phone).e164 if person.phone and Channel.SMS in spec.channels else None
    )
    release = quiet_release(now, tz, deps.policy.quiet)
    goes_out = release or now
    critical = spec.otp or (
        spec.critical is not None
        and spec.critical(cmd.event, goes_out, goes_out.astimezone(tz).date())
    )
    return Draft(
        cmd, spec, person, pref_keys(person), variables, cmd.event.aggregate_id(),
        getattr(cmd.event, "seq", None), critical, now, phone, tz, release,
    )


def intake_key(draft: Draft) -> repository.IntakeKey:
    """Return what opening this draft's intake takes."""
    return repository.IntakeKey(
        aggregate_id=draft.aggregate, seq=draft.seq, event_type=draft.spec.event_type,
        by=draft.cmd.source_message_id, now=draft.now, pref_keys=draft.keys,
        lock_address=draft.locked,
    )


def opened_from(draft: Draft, overtaking: int | None, stored: Preferences | None) -> Opened:
    """Decide staleness and plan the contacts from what opening the intake returned."""
    # Stale: a newer event that makes this one pointless is known (domain/superseding.py).
    stale = draft.seq is not None and overtaking is not None and overtaking > draft.seq
    plan = plan_contacts(draft.person, stored or Preferences(), channels=draft.spec.channels,
                         ignore_opt_out=draft.spec.otp)
    return Opened(draft, stale, plan)


class Draft:
    """What every row of one event shares."""

    def __init__(
        self, cmd: Notify, spec: EventSpec, person: Person, keys: list[str],
        variables: dict[str, str], aggregate: str, seq: int | None, critical: bool, now: datetime,
        locked: str | None, tz: ZoneInfo, release: datetime | None,
    ) -> None:
        self.cmd, self.spec, self.person, self.keys = cmd, spec, person, keys
        self.pref_key = keys[0]
        self.variables, self.aggregate, self.seq = variables, aggregate, seq
        self.critical, self.now, self.tz, self.release = critical, now, tz, release
        self.locked = locked  # the address whose rate-limit lock this transaction already holds
        # A sign-in code's expiry: kept with its rows, none of them goes out after it.
        self.expires_at: datetime | None = getattr(cmd.event, "expires_at", None)

    def row(
        self, contact: Contact, rendered: Rendered | None, *, status: Status,
        not_before: datetime, fallbacks: list[Contact],
    ) -> LedgerRow:
        """Build a ledger row for one contact."""
        return LedgerRow(
            id=new_id(), source_message_id=self.cmd.source_message_id,
            source_type=self.spec.event_type, aggregate_id=self.aggregate, seq=self.seq,
            channel=contact.channel, recipient=contact.address,
            recipient_masked=mask(contact.channel, contact.address),
            recipient_user_id=self.person.user_id, pref_key=self.pref_key,
            locale=self.person.locale, timezone=self.person.timezone, critical=self.critical,
            status=status, not_before=not_before, attempts=0, provider=None,
            provider_message_id=None, subject=rendered.subject if rendered else None,
            body=rendered.body if rendered else "", params=rendered.params if rendered else [],
            variables=self.variables, fallbacks=fallbacks, fallback_of=None,
            unsubscribe_token=unsubscribe_token(contact.channel, self.critical),
            created_at=self.now, correlation_id=self.cmd.correlation_id,
            traceparent=self.cmd.traceparent, expires_at=self.expires_at,
        )


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
    rendered = _render(draft, contact, deps)
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
        rendered = tried.rendered if tried else _render(draft, contact, deps)
        if rendered is None:  # this channel only: the next one may still carry the news
            ids.append(await _refuse(draft, contact, UNRENDERABLE, uow=uow))
            contacts = rest
            continue
        digest = content_hash(contact.channel, contact.address, rendered.body)
        if contact.channel is Channel.SMS:
            row, schedule = await _record_sms(
                draft, contact, rendered, digest, rest, uow=uow, deps=deps, tried=tried
            )
        else:
            schedule = schedule_email(
                now=draft.now, critical=draft.critical, quiet_until=draft.release
            )
            row = draft.row(contact, rendered, status=schedule.status,
                            not_before=schedule.not_before, fallbacks=rest)
            await _insert(row, rendered, digest, schedule, uow=uow)
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


async def _insert(
    row: LedgerRow, rendered: Rendered, digest: str, schedule: Schedule, *, uow: UnitOfWork
) -> None:
    await repository.insert_notification(
        uow.conn, row, chars=rendered.chars, segments=rendered.segments, content_hash=digest,
        error_code=schedule.reason, related_id=schedule.related_id,
    )


def _render(draft: Draft, contact: Contact, deps: Deps, *, quiet: bool = False) -> Rendered | None:
    """Render the message for one contact; None when that channel cannot carry it."""
    try:
        return deps.registry.render(
            draft.spec.event_type, contact.channel, draft.person.locale, draft.variables,
            validated=True,
        )
    except TemplateError as exc:
        if not quiet:
            log.warning("notification_not_renderable", event_type=draft.spec.event_type,
                        channel=contact.channel.value, error=str(exc))
        return None


def first_sms(opened: Opened, deps: Deps) -> SmsTry | None:
    """Draft the plan's first message when it is an SMS to the locked number; None when the
    plan starts otherwise (its handler records it the usual way)."""
    draft, contacts = opened.draft, opened.plan.contacts
    if opened.stale or not contacts or contacts[0].channel is not Channel.SMS:
        return None
    contact = contacts[0]
    if contact.address != draft.locked:
        return None
    rendered = _render(draft, contact, deps, quiet=True)  # its handler says why, if it must
    if rendered is None:
        return None
    digest = content_hash(contact.channel, contact.address, rendered.body)
    return _draft_sms(draft, contact, rendered, digest, list(contacts[1:]), deps)


def sms_insert(draft: Draft, tried: SmsTry) -> repository.SmsInsert:
    """Return what offering a drafted SMS to the ledger takes."""
    return repository.SmsInsert(
        row=tried.row, chars=tried.rendered.chars, segments=tried.rendered.segments,
        content_hash=tried.digest, error_code=tried.schedule.reason,
        related_id=tried.schedule.related_id, day_start=local_day_start(draft.now, draft.tz),
    )


def _draft_sms(
    draft: Draft, contact: Contact, rendered: Rendered, digest: str, rest: list[Contact],
    deps: Deps,
) -> SmsTry:
    schedule = _sms_schedule(draft, NOTHING_RECENT, rest, deps=deps)
    row = draft.row(contact, rendered, status=schedule.status, not_before=schedule.not_before,
                    fallbacks=rest)
    return SmsTry(rendered, digest, row, schedule)


async def _record_sms(
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
        tried = _draft_sms(draft, contact, rendered, digest, rest, deps)
        recent = await repository.insert_sms_unless_recent(
            uow.conn, sms_insert(draft, tried), window_s=deps.policy.limits.same_content_window_s
        )
    else:
        recent = tried.recent
    if recent is None:
        return tried.row, tried.schedule
    schedule = _sms_schedule(draft, recent, rest, deps=deps)
    row = draft.row(contact, rendered, status=schedule.status, not_before=schedule.not_before,
                    fallbacks=rest)
    await _insert(row, rendered, digest, schedule, uow=uow)
    return row, schedule


def _sms_schedule(
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


@dataclass(frozen=True, slots=True)
class SmsTry:
    """A plan's first SMS, drafted as if nothing went to its number lately."""

    rendered: Rendered
    digest: str
    row: LedgerRow
    schedule: Schedule
    # Once offered to the ledger: None if it went in (or its key was taken), else what the
    # ledger shows about the number, to schedule it with.
    recent: RecentSends | None = None


@dataclass(frozen=True, slots=True)
class Opened:
    """An event's intake once opened: its draft, whether it is stale, its plan."""

    draft: Draft
    stale: bool
    plan: Plan
    # The plan's first SMS as a batch already offered it to the ledger.
    first_sms: SmsTry | None = None
