"""The events the enrollment service consumes, each translated into a command."""

from __future__ import annotations

from services.enrollment.handlers import projections
from shared.events.catalog import (
    CertificateEvent,
    CertificateIssued,
    CertificateReinstated,
    CertificateRevoked,
    CertificateSuspended,
    NotificationDelivered,
    NotificationFailed,
)
from shared.messaging.subscriptions import HandlerContext, Subscriptions

subscriptions = Subscriptions()


async def on_certificate_event(event: CertificateEvent, ctx: HandlerContext) -> None:
    """Show the certificate's number and status on the roster and in the export."""
    await projections.record_certificate(event, occurred_at=ctx.envelope.occurred_at,
                                         uow=ctx.uow)


for _certificate_event in (CertificateIssued, CertificateRevoked, CertificateSuspended,
                           CertificateReinstated):
    subscriptions.add(_certificate_event, on_certificate_event)


@subscriptions.on(NotificationDelivered)
async def on_notification_delivered(event: NotificationDelivered, ctx: HandlerContext) -> None:
    """Remember that the trainee was reached on this channel."""
    await projections.record_delivery(event, occurred_at=ctx.envelope.occurred_at, uow=ctx.uow)


@subscriptions.on(NotificationFailed)
async def on_notification_failed(event: NotificationFailed, ctx: HandlerContext) -> None:
    """Remember that the trainee could not be reached on this channel."""
    await projections.record_delivery(event, occurred_at=ctx.envelope.occurred_at, uow=ctx.uow)
