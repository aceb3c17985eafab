"""The events the enrollment service consumes, each translated into a command."""

from __future__ import annotations

from collections.abc import Sequence

from services.enrollment.deps import Deps
from services.enrollment.handlers import projections
from services.enrollment.handlers.projections import DeliveryReport
from shared.events.catalog import (
    CertificateEvent,
    CertificateIssued,
    CertificateReinstated,
    CertificateRevoked,
    CertificateSuspended,
    HeldCertificateRecorded,
    NotificationDelivered,
    NotificationFailed,
)
from shared.messaging.subscriptions import HandlerContext, Subscriptions

subscriptions = Subscriptions()

CERTIFICATE_ORDERING = (
    "By `seq` per certificate. The projection keeps the certificate's state of the largest seq; "
    "an older one arriving later changes nothing, except that an `issued` still dates the "
    "certificate (`issued_at`) and links what it `replaces`. A certificate replaced by a "
    "reissue shows revoked whichever of the two arrives first. A gap is not waited for: the "
    "newest state applies at once."
)
HELD_ORDERING = (
    "None needed: each event adds one certificate the trainee recorded in certification, "
    "identified by `held_id`, and nothing changes or removes one. The same `held_id` again is "
    "ignored; one without a `level` (a legacy number given without it) is not kept, as the "
    "level rule has nothing to read."
)
REACHABILITY_ORDERING = (
    "By (`occurred_at`, `message_id`) per trainee and channel: the latest report says whether "
    "the trainee is reachable there; an older one arriving later changes nothing (a tie goes "
    "to the larger message id, a UUIDv7). A gap is not waited for."
)


async def on_certificate_event(event: CertificateEvent, ctx: HandlerContext[Deps]) -> None:
    """Show the certificate's number and status on the roster and in the export."""
    await projections.record_certificate(event, occurred_at=ctx.envelope.occurred_at,
                                         uow=ctx.uow)


for _certificate_event in (CertificateIssued, CertificateRevoked, CertificateSuspended,
                           CertificateReinstated):
    subscriptions.add(_certificate_event, on_certificate_event, ordering=CERTIFICATE_ORDERING)


@subscriptions.on(HeldCertificateRecorded, ordering=HELD_ORDERING)
async def on_held_certificate_recorded(
    event: HeldCertificateRecorded, ctx: HandlerContext[Deps]
) -> None:
    """Keep a level held from elsewhere: no subsidised course below it is open then."""
    await projections.record_held_certificate(event, occurred_at=ctx.envelope.occurred_at,
                                              uow=ctx.uow)


RECORDED = "recorded"  # what `record_reports` hands each report's handler: nothing left to do


async def record_reports(
    batch: Sequence[tuple[DeliveryReport, HandlerContext[Deps]]],
) -> Sequence[object]:
    """Record a consumer batch's delivery reports with one statement."""
    reports = [(event, ctx.envelope) for event, ctx in batch]
    await projections.record_deliveries(reports, uow=batch[0][1].uow)
    return [RECORDED] * len(batch)


async def on_notification_delivered(
    event: NotificationDelivered, ctx: HandlerContext[Deps]
) -> None:
    """Remember that the trainee was reached on this channel."""
    if ctx.prepared is not RECORDED:
        await projections.record_delivery(event, envelope=ctx.envelope, uow=ctx.uow)


async def on_notification_failed(event: NotificationFailed, ctx: HandlerContext[Deps]) -> None:
    """Remember that the trainee could not be reached on this channel."""
    if ctx.prepared is not RECORDED:
        await projections.record_delivery(event, envelope=ctx.envelope, uow=ctx.uow)


subscriptions.add(NotificationDelivered, on_notification_delivered,
                  ordering=REACHABILITY_ORDERING, prepare=record_reports)
subscriptions.add(NotificationFailed, on_notification_failed, ordering=REACHABILITY_ORDERING,
                  prepare=record_reports)
