"""The events the enrollment service consumes, each translated into a command."""

from __future__ import annotations

from services.enrollment.handlers import projections
from shared.events.catalog import (
    CertificateIssued,
    CertificateReinstated,
    CertificateRevoked,
    CertificateSuspended,
    NotificationDelivered,
    NotificationFailed,
)
from shared.messaging.subscriptions import HandlerContext, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(CertificateIssued)
async def on_certificate_issued(event: CertificateIssued, ctx: HandlerContext) -> None:
    """Show the new certificate's number on the roster and in the export."""
    await projections.record_certificate(event, uow=ctx.uow)


@subscriptions.on(CertificateRevoked)
async def on_certificate_revoked(event: CertificateRevoked, ctx: HandlerContext) -> None:
    """Mark the enrolment's certificate revoked."""
    await projections.record_certificate(event, uow=ctx.uow)


@subscriptions.on(CertificateSuspended)
async def on_certificate_suspended(event: CertificateSuspended, ctx: HandlerContext) -> None:
    """Mark the enrolment's certificate suspended."""
    await projections.record_certificate(event, uow=ctx.uow)


@subscriptions.on(CertificateReinstated)
async def on_certificate_reinstated(event: CertificateReinstated, ctx: HandlerContext) -> None:
    """Mark the enrolment's certificate valid again."""
    await projections.record_certificate(event, uow=ctx.uow)


@subscriptions.on(NotificationDelivered)
async def on_notification_delivered(event: NotificationDelivered, ctx: HandlerContext) -> None:
    """Remember that the trainee was reached on this channel."""
    await projections.record_delivery(event, occurred_at=ctx.envelope.occurred_at, uow=ctx.uow)


@subscriptions.on(NotificationFailed)
async def on_notification_failed(event: NotificationFailed, ctx: HandlerContext) -> None:
    """Remember that the trainee could not be reached on this channel."""
    await projections.record_delivery(event, occurred_at=ctx.envelope.occurred_at, uow=ctx.uow)
