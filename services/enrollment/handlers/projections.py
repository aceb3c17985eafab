"""Keep what other services tell us: certificate numbers, certificates held from elsewhere,
and whether trainees are reachable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.enrollment.repository import eligibility as eligibility_repo
from services.enrollment.repository import projections as repo
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
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)

_STATUS = {
    CertificateIssued: "valid",
    CertificateReinstated: "valid",
    CertificateRevoked: "revoked",
    CertificateSuspended: "suspended",
}


async def record_certificate(
    event: CertificateEvent, *, occurred_at: datetime, uow: UnitOfWork
) -> None:
    """Project a certificate change onto its enrolment (later changes win by seq); a reissue
    revokes the certificate it replaces."""
    reason = event.reason if isinstance(event, CertificateRevoked | CertificateSuspended) else None
    issued = isinstance(event, CertificateIssued)
    await repo.apply_certificate(
        uow.conn, certificate_id=event.certificate_id, enrollment_id=event.enrollment_id,
        number=event.number, status=_STATUS[type(event)], reason=reason, seq=event.seq,
        issued_on=event.issued_on, expires_on=event.expires_on,
        replaces=event.replaces if isinstance(event, CertificateIssued) else None,
        issued_at=occurred_at if issued else None,
    )


DeliveryReport = NotificationDelivered | NotificationFailed


async def record_delivery(event: DeliveryReport, *, envelope: Envelope, uow: UnitOfWork) -> None:
    """Remember whether the latest message on a channel reached the trainee."""
    await record_deliveries([(event, envelope)], uow=uow)


async def record_deliveries(
    reports: Sequence[tuple[DeliveryReport, Envelope]], *, uow: UnitOfWork
) -> None:
    """Remember, for each channel, whether the latest of these messages reached the trainee
    (one statement for all of them)."""
    await repo.apply_reachability(uow.conn, [
        _report(event, envelope) for event, envelope in reports
        if event.recipient_user_id is not None
    ])


def _report(event: DeliveryReport, envelope: Envelope) -> repo.Report:
    assert event.recipient_user_id is not None
    failed = isinstance(event, NotificationFailed)
    return repo.Report(
        user_id=event.recipient_user_id, channel=event.channel, delivered=not failed,
        permanent=event.permanent if isinstance(event, NotificationFailed) else False,
        reason=event.reason if isinstance(event, NotificationFailed) else None,
        source_type=event.source_type, occurred_at=envelope.occurred_at,
        message_id=envelope.message_id,
    )


async def record_held_certificate(
    event: HeldCertificateRecorded, *, occurred_at: datetime, uow: UnitOfWork
) -> None:
    """Keep a certificate a trainee recorded in certification, for the level rule (once)."""
    if event.level is None:  # a legacy number without a level: nothing for the rules to read
        log.info("held_certificate_without_level", held_id=str(event.held_id))
        return
    if not await eligibility_repo.insert_skill_certificate(
            uow.conn, certificate_id=event.held_id, trainee_id=event.user_id,
            occupation_name=event.occupation_name, occupation_code=event.occupation_code,
            level=event.level, number=event.number, recorded_at=occurred_at):
        log.info("held_certificate_not_kept", held_id=str(event.held_id))
