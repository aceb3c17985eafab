"""Outcome events and fallbacks to the other channel, shared by dispatch and receipts."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from services.notification import repository
from services.notification.deps import Deps
from services.notification.domain.model import Channel, Contact, LedgerRow, Rendered, Status
from services.notification.domain.rules import quiet_release, zone
from services.notification.templates.registry import TemplateError
from shared.events.catalog import NotificationDelivered, NotificationFailed
from shared.events.envelope import Envelope, Event
from shared.ids import new_id
from shared.logging import bound_context, get_logger
from shared.masking import mask_email, mask_phone
from shared.messaging.context import MessageContext, current_context, set_context
from shared.messaging.outbox import OutboxWriter
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)


class OutcomeBatch:
    """A unit of work whose events are kept, each in the journey current when it was published,
    and written to the outbox together by `flush` (one statement for a whole dispatch batch)."""

    def __init__(self, uow: UnitOfWork, outbox: OutboxWriter) -> None:
        self.conn = uow.conn
        self._outbox = outbox
        self._envelopes: list[Envelope] = []

    async def publish(self, *events: Event) -> None:
        """Wrap the events now (the current journey is theirs); write them at `flush`."""
        self._envelopes.extend(self._outbox.envelope(e) for e in events)

    async def flush(self) -> None:
        """Insert every kept event into the outbox of the open transaction."""
        envelopes, self._envelopes = self._envelopes, []
        await self._outbox.add_envelopes(self.conn, envelopes)


def journey_of(row: LedgerRow) -> MessageContext:
    """Return the journey of the event a row was made for; that event is the cause."""
    source = str(row.source_message_id)
    return MessageContext(
        correlation_id=row.correlation_id or source, causation_id=source,
        traceparent=row.traceparent,
    )


@contextmanager
def working_on(row: LedgerRow) -> Iterator[None]:
    """Make log lines and events inside the block carry the journey of `row`'s source event."""
    previous = current_context()
    journey = journey_of(row)
    set_context(journey)
    try:
        with bound_context(correlation_id=journey.correlation_id,
                           causation_id=journey.causation_id, notification_id=str(row.id)):
            yield
    finally:
        set_context(previous)


def delivered_event(row: LedgerRow, *, provider: str, at: datetime) -> NotificationDelivered:
    """Announce that a message arrived."""
    return NotificationDelivered(
        notification_id=row.id, source_message_id=row.source_message_id,
        source_type=row.source_type, channel=row.channel.value,
        recipient_user_id=row.recipient_user_id, recipient_masked=row.recipient_masked,
        provider=provider, delivered_at=at,
    )


def failed_event(
    row: LedgerRow, *, provider: str, reason: str, permanent: bool
) -> NotificationFailed:
    """Announce that a message could not be delivered on its channel."""
    return NotificationFailed(
        notification_id=row.id, source_message_id=row.source_message_id,
        source_type=row.source_type, channel=row.channel.value,
        recipient_user_id=row.recipient_user_id, recipient_masked=row.recipient_masked,
        provider=provider, reason=reason, permanent=permanent,
    )


async def announce_delivered(
    row: LedgerRow, *, provider: str, at: datetime, uow: UnitOfWork
) -> None:
    """Publish that a message arrived, and log it."""
    await uow.publish(delivered_event(row, provider=provider, at=at))
    log.info("notification_delivered", channel=row.channel.value, provider=provider,
             recipient=row.recipient_masked)


async def announce_failed(
    row: LedgerRow, *, provider: str, reason: str, permanent: bool, uow: UnitOfWork
) -> None:
    """Publish that a message could not be delivered on its channel, and log it."""
    await uow.publish(failed_event(row, provider=provider, reason=reason, permanent=permanent))
    log.info("notification_failed", channel=row.channel.value, provider=provider,
             recipient=row.recipient_masked, reason=reason, permanent=permanent)


def mask(channel: Channel, address: str) -> str:
    """Mask an address for logs, pages and events."""
    return mask_phone(address) if channel is Channel.SMS else mask_email(address)


def content_hash(channel: Channel, address: str, body: str) -> str:
    """Return a digest identifying the same text to the same address."""
    return hashlib.sha256(f"{channel}|{address}|{body}".encode()).hexdigest()


def unsubscribe_token(channel: Channel, critical: bool) -> str | None:
    """Return a fresh opt-out token for non-critical email, else None."""
    return secrets.token_urlsafe(18) if channel is Channel.EMAIL and not critical else None


async def fall_back(row: LedgerRow, *, uow: UnitOfWork, deps: Deps, now: datetime) -> bool:
    """Queue the message on the next channel the person accepts; False when there is none."""
    fallbacks = list(row.fallbacks)
    while fallbacks:
        contact, rest = fallbacks[0], fallbacks[1:]
        try:
            rendered = deps.registry.render(row.source_type, contact.channel, row.locale,
                                            row.variables)
        except TemplateError as exc:  # this channel cannot carry it: try the next one
            log.warning("notification_not_renderable", channel=contact.channel.value,
                        error=str(exc))
            fallbacks = rest
            continue
        return await _queue_fallback(row, contact, rest, rendered, uow=uow, deps=deps, now=now)
    return False


async def _queue_fallback(
    row: LedgerRow, contact: Contact, rest: list[Contact], rendered: Rendered, *,
    uow: UnitOfWork, deps: Deps, now: datetime,
) -> bool:
    tz = zone(row.timezone, deps.policy.default_timezone)
    release = quiet_release(now, tz, deps.policy.quiet)
    deferred = release is not None and not row.critical
    new = LedgerRow(
        id=new_id(), source_message_id=row.source_message_id, source_type=row.source_type,
        aggregate_id=row.aggregate_id, seq=row.seq, channel=contact.channel,
        recipient=contact.address, recipient_masked=mask(contact.channel, contact.address),
        recipient_user_id=row.recipient_user_id, pref_key=row.pref_key, locale=row.locale,
        timezone=row.timezone, critical=row.critical,
        status=Status.DEFERRED if deferred else Status.QUEUED,
        not_before=release if deferred and release else now, attempts=0, provider=None,
        provider_message_id=None, subject=rendered.subject, body=rendered.body,
        params=rendered.params, variables=row.variables, fallbacks=rest, fallback_of=row.id,
        unsubscribe_token=unsubscribe_token(contact.channel, row.critical), created_at=now,
        correlation_id=row.correlation_id, traceparent=row.traceparent,
        expires_at=row.expires_at,
    )
    created = await repository.insert_notification(
        uow.conn, new, chars=rendered.chars, segments=rendered.segments,
        content_hash=content_hash(contact.channel, contact.address, rendered.body),
    )
    if created:
        log.info("notification_fallback_queued", notification_id=str(new.id),
                 fallback_of=str(row.id), channel=contact.channel.value,
                 recipient=new.recipient_masked)
    return created
