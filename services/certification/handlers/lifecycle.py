"""Use cases that change an issued certificate: revoke, suspend, reinstate, ask for a reissue."""

from __future__ import annotations

from services.certification.commands import ChangeStatus, ReissueCertificate
from services.certification.deps import Deps
from services.certification.domain.approval import check_admin_only
from services.certification.domain.certificate import check_reissue, check_transition
from services.certification.handlers.events import event_fields
from services.certification.handlers.permissions import require_class_manager, role_of
from services.certification.repository import audit, certificates, results
from services.certification.repository.certificates import CertificateRow
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.events.catalog import (
    CertificateReinstated,
    CertificateRevoked,
    CertificateSuspended,
)
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)
_NEW_STATUS = {"revoke": "revoked", "suspend": "suspended", "reinstate": "valid"}


async def _managed(
    uow: UnitOfWork, certificate_id: object, actor: Principal, action: str
) -> CertificateRow:
    row = await certificates.lock_certificate(uow.conn, certificate_id)  # type: ignore[arg-type]
    if row is None:
        raise NotFound("no such certificate")
    check_admin_only(action, actor.role)
    await require_class_manager(uow.conn, actor, class_id=row.class_id,
                                fallback=row.trainer_ids)
    return row


async def change_status(cmd: ChangeStatus, *, deps: Deps, actor: Principal) -> CertificateRow:
    """Revoke, suspend or reinstate a certificate; record who, when and why; tell the holder."""
    return await in_transaction(deps.uows, lambda uow: _change_status(uow, deps, cmd, actor))


async def _change_status(
    uow: UnitOfWork, deps: Deps, cmd: ChangeStatus, actor: Principal
) -> CertificateRow:
    row = await _managed(uow, cmd.certificate_id, actor, cmd.action)
    check_transition(cmd.action, row.status, replaced=row.replaced_by is not None)  # type: ignore[arg-type]
    status = _NEW_STATUS[cmd.action]
    seq = await certificates.set_status(
        uow.conn, row.id, status=status, reason=cmd.reason if status != "valid" else None,
        revocation_kind="manual" if status == "revoked" else None,
        category=cmd.category if status == "revoked" else None,
    )
    await audit.add_audit(uow.conn, row.id, status if status != "valid" else "reinstated",
                               actor_id=actor.user_id, actor_role=role_of(actor),
                               reason=cmd.reason,
                               details={"category": cmd.category} if cmd.category else None)
    fields = event_fields(row, deps, seq=seq, actor=actor)
    if cmd.action == "revoke":
        await withdraw_requested(uow, row, actor=actor, reason="the certificate it replaces "
                                 "was revoked")
        await uow.publish(CertificateRevoked(**fields, reason=cmd.reason or ""))
    elif cmd.action == "suspend":
        await uow.publish(CertificateSuspended(**fields, reason=cmd.reason or ""))
    else:
        await uow.publish(CertificateReinstated(**fields))
    log.info("certificate_status_changed", certificate_id=str(row.id), status=status)
    return await certificates.lock_certificate(uow.conn, row.id) or row


async def request_reissue(
    cmd: ReissueCertificate, *, deps: Deps, actor: Principal
) -> CertificateRow:
    """Hold a replacement of a valid certificate for approval (new number, same verification URL).

    A new number and the holder's data as the latest result has them make it a new issuance, so
    it waits, `pending`, for an approver who is not the requester and does not teach the class;
    the valid certificate stays valid until then (approving revokes it in the new one's favour).
    """
    return await in_transaction(deps.uows, lambda uow: _request_reissue(uow, cmd, actor))


async def _request_reissue(
    uow: UnitOfWork, cmd: ReissueCertificate, actor: Principal
) -> CertificateRow:
    row = await _managed(uow, cmd.certificate_id, actor, "reissue")
    result = await results.lock_result(uow.conn, row.enrollment_id)
    if result is None:
        raise NotFound("the result of this certificate is unknown", code="result_not_found")
    check_reissue(row.status, passed=result.passed, replaced=row.replaced_by is not None)  # type: ignore[arg-type]
    waiting = await certificates.lock_open_replacement(uow.conn, row.enrollment_id)
    if waiting is not None:
        raise Conflict("a replacement of this certificate already awaits approval",
                       code="reissue_pending", certificate_id=str(waiting.id))
    new = new_id()
    # No code yet: the valid certificate keeps it (and its verification URL) until approval.
    await certificates.insert_certificate(uow.conn, certificate_id=new, result=result,
                                          status="pending", code=None, issue=None,
                                          replaces=row.id, requested_by=actor.user_id,
                                          request_reason=cmd.reason)
    await audit.add_audit(uow.conn, new, "reissue_requested", actor_id=actor.user_id,
                          actor_role=role_of(actor), reason=cmd.reason,
                          details={"replaces": str(row.id)})
    log.info("certificate_reissue_requested", certificate_id=str(new), replaces=str(row.id))
    held = await certificates.lock_certificate(uow.conn, new)
    assert held is not None
    return held


async def withdraw_requested(
    uow: UnitOfWork, revoked: CertificateRow, *, actor: Principal | None, reason: str
) -> None:
    """Withdraw a reissue still awaiting approval when the certificate it replaces is revoked."""
    waiting = await certificates.lock_open_replacement(uow.conn, revoked.enrollment_id)
    if waiting is None or waiting.status != "pending" or waiting.requested_by is None:
        return
    await certificates.set_status(uow.conn, waiting.id, status="withdrawn", reason=reason)
    await audit.add_audit(uow.conn, waiting.id, "withdrawn",
                          actor_id=actor.user_id if actor else None,
                          actor_role=role_of(actor), reason=reason)
