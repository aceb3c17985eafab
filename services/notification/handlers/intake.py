"""Turn an incoming event into ledger rows: render, check, schedule. No provider call here."""

from __future__ import annotations

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


async def notify(cmd: Notify, *, uow: UnitOfWork, deps: Deps) -> list[UUID]:
    """Record the messages an event calls for; the dispatcher sends them after commit."""
    spec = deps.registry.spec(cmd.event.event_type)
    now = deps.clock.now()
    person = person_of(cmd.event, deps.policy.default_timezone)
    tz = zone(person.timezone, deps.policy.default_timezone)
    try:
        built = spec.build(cmd.event, person.locale, tz, now)
        variables = deps.registry.validate(spec.event_type, built)
    except (TemplateError, KeyError, ValueError) as exc:
        raise PermanentFailure(f"cannot render {spec.event_type}: {exc}") from exc
    seq: int | None = getattr(cmd.event, "seq", None)
    aggregate = cmd.event.aggregate_id()
    keys = pref_keys(person)
    # The number an SMS would go to: its rate-limit lock is taken with the seq and preferences.
    phone = (
        check_mobile(person.phone).e164 if person.phone and Channel.SMS in spec.channels else None
    )
    newest, stored = await repository.begin_intake(
        uow.conn, aggregate_id=aggregate, seq=seq, changes_state=not spec.informational,
        by=cmd.source_message_id, now=now, pref_keys=keys, lock_address=phone,
    )
    # Stale: a newer state is known (informational news never counts as one).
    stale = seq is not None and newest is not None and newest > seq
    prefs = stored or Preferences()
    plan = plan_contacts(person, prefs, channels=spec.channels, ignore_opt_out=spec.otp)
    release = quiet_release(now, tz, deps.policy.quiet)
    goes_out = release or now
    critical = spec.otp or (
        spec.critical is not None
        and spec.critical(cmd.event, goes_out, goes_out.astimezone(tz).date())
    )
    draft = _Draft(cmd, spec, person, keys[0], variables, aggregate, seq, critical, now, phone)
    ids = [await _refuse(draft, contact, reason, uow=uow) for contact, reason in plan.refused]
    if stale:
        ids += await _record_stale(draft, plan, uow=uow, deps=deps)
    else:
        ids += await _record_plan(draft, plan, uow=uow, deps=deps, release=release)
    if not ids:
        log.info("notification_unreachable", event_type=spec.event_type)
    return ids


class _Draft:
    """What every row of one event shares."""

    def __init__(
        self, cmd: Notify, spec: EventSpec, person: Person, pref_key: str,
        variables: dict[str, str], aggregate: str, seq: int | None, critical: bool, now: datetime,
        locked: str | None,
    ) -> None:
        self.cmd, self.spec, self.person, self.pref_key = cmd, spec, person, pref_key
        self.variables, self.aggregate, self.seq = variables, aggregate, seq
        self.critical, self.now = critical, now
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


async def _refuse(draft: _Draft, contact: Contact, reason: str, *, uow: UnitOfWork) -> UUID:
    row = draft.row(contact, None, status=Status.FAILED, not_before=draft.now, fallbacks=[])
    if await repository.insert_notification(
        uow.conn, row, content_hash="", error_code=reason
    ):
        await announce_failed(row, provider="none", reason=reason, permanent=True, uow=uow)
        log.warning("notification_refused", notification_id=str(row.id),
                    channel=contact.channel.value, recipient=row.recipient_masked, reason=reason)
    return row.id


async def _record_stale(draft: _Draft, plan: Plan, *, uow: UnitOfWork, deps: Deps) -> list[UUID]:
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
    draft: _Draft, plan: Plan, *, uow: UnitOfWork, deps: Deps, release: datetime | None
) -> list[UUID]:
    ids: list[UUID] = []
    contacts = list(plan.contacts)
    while contacts:
        contact, rest = contacts[0], contacts[1:]
        rendered = _render(draft, contact, deps)
        if rendered is None:  # this channel only: the next one may still carry the news
            ids.append(await _refuse(draft, contact, UNRENDERABLE, uow=uow))
            contacts = rest
            continue
        digest = content_hash(contact.channel, contact.address, rendered.body)
        if contact.channel is Channel.SMS:
            row, schedule = await _record_sms(
                draft, contact, rendered, digest, rest, uow=uow, deps=deps, release=release
            )
        else:
            schedule = schedule_email(now=draft.now, critical=draft.critical, quiet_until=release)
            row = draft.row(contact, rendered, status=schedule.status,
                            not_before=schedule.not_before, fallbacks=rest)
            await _insert(row, rendered, digest, schedule, uow=uow)
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


def _render(draft: _Draft, contact: Contact, deps: Deps) -> Rendered | None:
    """Render the message for one contact; None when that channel cannot carry it."""
    try:
        return deps.registry.render(
            draft.spec.event_type, contact.channel, draft.person.locale, draft.variables,
            validated=True,
        )
    except TemplateError as exc:
        log.warning("notification_not_renderable", event_type=draft.spec.event_type,
                    channel=contact.channel.value, error=str(exc))
        return None


async def _record_sms(
    draft: _Draft, contact: Contact, rendered: Rendered, digest: str, rest: list[Contact], *,
    uow: UnitOfWork, deps: Deps, release: datetime | None,
) -> tuple[LedgerRow, Schedule]:
    """Schedule an SMS under its number's rate-limit lock and write its row.

    The usual case, nothing sent to the number lately, takes one statement: the row goes in as
    scheduled for that case unless the ledger shows otherwise; then it is scheduled with what
    the ledger shows and written by a second statement.
    """
    if contact.address != draft.locked:
        await repository.lock_recipient(uow.conn, contact.address)
    tz = zone(draft.person.timezone, deps.policy.default_timezone)
    schedule = _sms_schedule(draft, NOTHING_RECENT, rest, tz=tz, deps=deps, release=release)
    row = draft.row(contact, rendered, status=schedule.status, not_before=schedule.not_before,
                    fallbacks=rest)
    recent = await repository.insert_sms_unless_recent(
        uow.conn, row, chars=rendered.chars, segments=rendered.segments, content_hash=digest,
        error_code=schedule.reason, related_id=schedule.related_id,
        day_start=local_day_start(draft.now, tz),
        window_s=deps.policy.limits.same_content_window_s,
    )
    if recent is None:
        return row, schedule
    schedule = _sms_schedule(draft, recent, rest, tz=tz, deps=deps, release=release)
    row = draft.row(contact, rendered, status=schedule.status, not_before=schedule.not_before,
                    fallbacks=rest)
    await _insert(row, rendered, digest, schedule, uow=uow)
    return row, schedule


def _sms_schedule(
    draft: _Draft, recent: RecentSends, rest: list[Contact], *, tz: ZoneInfo, deps: Deps,
    release: datetime | None,
) -> Schedule:
    schedule = schedule_sms(
        now=draft.now, otp=draft.spec.otp, critical=draft.critical, recent=recent,
        limits=deps.policy.limits, quiet_until=release,
        morning=next_morning(draft.now, tz, deps.policy.quiet),
        expires_at=draft.expires_at,
    )
    if schedule.reason == "template_daily_limit" and rest:
        # Rather than hit the provider's per-template limit, use the next channel now.
        return Schedule(Status.SUPPRESSED, draft.now, "template_daily_limit")
    return schedule
