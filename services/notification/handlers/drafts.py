"""An event's messages before they are written: the draft every row shares, its render.

`draft_of` does no I/O; opening the intake (intake.open_intake or a batch's prepare_many)
adds what the ledger knows: newer news, stored preferences, a number's rate-limit lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from services.notification import repository
from services.notification.commands import Notify
from services.notification.deps import Deps
from services.notification.domain.contacts import check_mobile
from services.notification.domain.model import (
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
from services.notification.domain.rules import quiet_release, zone
from services.notification.handlers.outcomes import mask, unsubscribe_token
from services.notification.templates.registry import TemplateError
from services.notification.templates.variables import EventSpec, person_of
from shared.errors import PermanentFailure
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)


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


async def insert_row(
    row: LedgerRow, rendered: Rendered, digest: str, schedule: Schedule, *, uow: UnitOfWork
) -> None:
    """Write a rendered row with its schedule."""
    await repository.insert_notification(
        uow.conn, row, chars=rendered.chars, segments=rendered.segments, content_hash=digest,
        error_code=schedule.reason, related_id=schedule.related_id,
    )


def render(draft: Draft, contact: Contact, deps: Deps, *, quiet: bool = False) -> Rendered | None:
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
