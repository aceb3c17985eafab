"""Use cases that sign certificates: issue, approve (bulk or one), issue directly, replace."""

from __future__ import annotations

import dataclasses
from uuid import UUID

from services.certification.commands import ApproveCertificates, IssueForResult
from services.certification.deps import Deps
from services.certification.domain.approval import (
    authors_of,
    check_identity_confirmed,
    single_step,
)
from services.certification.domain.certificate import check_replaceable, check_transition
from services.certification.domain.codes import new_code
from services.certification.handlers.events import event_fields, issued_event
from services.certification.handlers.permissions import (
    require_approver,
    require_issuer,
    role_of,
)
from services.certification.handlers.signing import issue_fields, issued_row
from services.certification.repository import audit, certificates, identity_reviews, results
from services.certification.repository.certificates import CertificateRow
from shared.auth import Principal
from shared.errors import Conflict, DomainError, InvalidState, NotFound
from shared.events.catalog import CertificateRevoked, EnrollmentCompleted
from shared.ids import new_id
from shared.messaging.uow import UnitOfWork, in_transaction

_CODE_ATTEMPTS = 5


async def issue_new(
    uow: UnitOfWork, deps: Deps, result: EnrollmentCompleted, live: CertificateRow | None,
    *, actor: Principal | None,
) -> CertificateRow:
    """Issue a valid certificate for a passing result (reusing a withdrawn row)."""
    if live is not None:
        await certificates.refresh_pending(uow.conn, live.id, result)
        refreshed = await certificates.lock_certificate(uow.conn, live.id)
        assert refreshed is not None
        return await approve_row(uow, deps, refreshed, actor=actor, action="issued")
    certificate_id = new_id()
    # Audit first: everything after the serial is drawn holds the counter row's lock.
    index: int | None = await audit.audit_and_draw_index(
        uow.conn, certificate_id, "issued", actor_id=actor.user_id if actor else None,
        actor_role=role_of(actor), size=deps.status_list_size)
    for _ in range(_CODE_ATTEMPTS):
        code = new_code()
        issue = await issue_fields(uow.conn, deps, certificate_id=certificate_id, code=code,
                                   holder=result.trainee, course=result.course,
                                   status_index=index)
        index = None
        if await certificates.insert_certificate(uow.conn, certificate_id=certificate_id,
                                               result=result, status="valid", code=code,
                                               issue=issue):
            row = issued_row(certificate_id, result, issue, replaces=None)
            await uow.publish(issued_event(row, deps, seq=1, actor=actor))
            return row
    raise Conflict("could not draw a free verification code", code="code_exhausted")


async def approve_row(
    uow: UnitOfWork, deps: Deps, row: CertificateRow, *, actor: Principal | None,
    action: str = "approved",
) -> CertificateRow:
    """Issue a pending certificate: number, signature, event (a held replacement takes over)."""
    await audit.add_audit(uow.conn, row.id, action,
                               actor_id=actor.user_id if actor else None,
                               actor_role=role_of(actor))
    old = await _replaced(uow, row)
    code = row.code or (old.code if old else None)
    assert code is not None, "only a replacement is held without a code"
    issue = await issue_fields(uow.conn, deps, certificate_id=row.id, code=code,
                               holder=row.holder, course=row.course)
    revoked = await _take_over(uow, deps, old, row, actor=actor, number=issue.number) \
        if old else None
    seq = await certificates.mark_issued(uow.conn, row.id, issue)
    issued = dataclasses.replace(
        row, status="valid", seq=seq, number=issue.number, code=code, issued_at=issue.issued_at,
        issued_on=issue.issued_on, expires_on=issue.expires_on, issuer_name=issue.issuer_name,
        status_index=issue.status_index, kid=issue.kid, credential=issue.credential,
    )
    if revoked is not None:
        await uow.publish(revoked)
    await uow.publish(issued_event(issued, deps, seq=seq, actor=actor, replaces=row.replaces))
    return issued


async def _replaced(uow: UnitOfWork, row: CertificateRow) -> CertificateRow | None:
    """Return, locked, the certificate a held replacement takes over (None for a first one)."""
    if row.code is not None:
        return None
    assert row.replaces is not None, "only a replacement is held without a code"
    old = await certificates.lock_certificate(uow.conn, row.replaces)
    assert old is not None
    assert old.code is not None
    check_replaceable(old.status, old.revocation_kind)  # type: ignore[arg-type]
    return old


async def _take_over(
    uow: UnitOfWork, deps: Deps, old: CertificateRow, row: CertificateRow, *,
    actor: Principal | None, number: str,
) -> CertificateRevoked | None:
    """Retire the certificate an approved replacement replaces; return the event to announce."""
    if old.status == "revoked":
        # Revoked by a correction (announced then): it only stops being the live one.
        await certificates.mark_replaced(uow.conn, old.id, replaced_by=row.id)
        await audit.add_audit(uow.conn, old.id, "replaced",
                              actor_id=actor.user_id if actor else None,
                              actor_role=role_of(actor), reason="result corrected to passed",
                              details={"replaced_by": str(row.id)})
        return None
    # A requested reissue of a valid certificate: it is revoked now, in favour of the new one.
    reason = row.request_reason or "reissued"
    seq = await certificates.set_status(uow.conn, old.id, status="revoked", reason=reason,
                                        revocation_kind="reissued", replaced_by=row.id)
    await audit.add_audit(uow.conn, old.id, "replaced", actor_id=actor.user_id if actor else None,
                          actor_role=role_of(actor), reason=reason,
                          details={"replaced_by": str(row.id)})
    return CertificateRevoked(**event_fields(old, deps, seq=seq, actor=actor),
                              reason=f"reissued as {number}")


async def approve(certificate_id: UUID, *, deps: Deps, actor: Principal) -> CertificateRow:
    """Approve one pending certificate (an examiner or admin who does not teach its class)."""
    return await in_transaction(deps.uows, lambda uow: _approve(uow, deps, certificate_id, actor))


async def _approve(
    uow: UnitOfWork, deps: Deps, certificate_id: UUID, actor: Principal
) -> CertificateRow:
    row = await certificates.lock_certificate(uow.conn, certificate_id)
    if row is None:
        raise NotFound("no such certificate")
    result = await results.current_result(uow.conn, row.enrollment_id)
    await require_approver(uow.conn, actor, class_id=row.class_id, fallback=row.trainer_ids,
                           authors=authors_of(result, requested_by=row.requested_by))
    check_transition("approve", row.status, replaced=row.replaced_by is not None)  # type: ignore[arg-type]
    check_identity_confirmed(await identity_reviews.unconfirmed(uow.conn, row.holder_user_id))
    return await approve_row(uow, deps, row, actor=actor)


async def approve_many(
    cmd: ApproveCertificates, *, deps: Deps, actor: Principal
) -> tuple[list[CertificateRow], list[tuple[UUID, DomainError]]]:
    """Approve each certificate in its own transaction; report the ones that failed and why."""
    approved: list[CertificateRow] = []
    failed: list[tuple[UUID, DomainError]] = []
    for certificate_id in dict.fromkeys(cmd.certificate_ids):
        try:
            approved.append(await approve(certificate_id, deps=deps, actor=actor))
        except DomainError as exc:
            failed.append((certificate_id, exc))
    return approved, failed


async def issue_for_result(cmd: IssueForResult, *, deps: Deps, actor: Principal) -> CertificateRow:
    """Issue directly for a released, passing result (approving a pending one if held)."""
    return await in_transaction(deps.uows, lambda uow: _issue_for_result(uow, deps, cmd, actor))


async def _issue_for_result(
    uow: UnitOfWork, deps: Deps, cmd: IssueForResult, actor: Principal
) -> CertificateRow:
    result = await results.lock_result(uow.conn, cmd.enrollment_id)
    if result is None:
        raise NotFound("no released result for this enrolment", code="result_not_found")
    live = await certificates.lock_current(uow.conn, cmd.enrollment_id)
    requested_by = live.requested_by if live is not None and live.status == "pending" else None
    # Issuing now is approving: a trainer of the class may do it only where one step is allowed,
    # and never for a reissue someone asked for (that is always four eyes).
    await require_issuer(uow.conn, actor, class_id=result.class_info.class_id,
                         fallback=list(result.trainer_ids),
                         one_step=single_step(result.course) and requested_by is None,
                         authors=authors_of(result, requested_by=requested_by))
    if not result.passed:
        raise InvalidState("the released result is not a pass", code="result_not_passed")
    if live is None or live.status in ("withdrawn", "pending"):
        unconfirmed = await identity_reviews.unconfirmed(uow.conn, result.trainee.user_id)
        check_identity_confirmed(unconfirmed)
    if live is None or live.status == "withdrawn":
        return await issue_new(uow, deps, result, live, actor=actor)
    if live.status == "pending":
        return await approve_row(uow, deps, live, actor=actor)
    raise Conflict("this enrolment already has a certificate", code="already_issued",
                   certificate_id=str(live.id))


async def reissue_from(
    uow: UnitOfWork, deps: Deps, old: CertificateRow, result: EnrollmentCompleted,
    *, actor: Principal | None, reason: str,
) -> CertificateRow:
    """Replace a certificate by a new one with a new number and the same verification code."""
    assert old.code is not None
    assert result.passed, "the callers checked it: a valid certificate needs a passing result"
    new = new_id()
    was_revoked = old.status == "revoked"
    kind = old.revocation_kind if was_revoked else "reissued"
    old_seq = await certificates.set_status(uow.conn, old.id, status="revoked",
                                          reason=old.reason if was_revoked else reason,
                                          revocation_kind=kind, replaced_by=new)
    await audit.add_audit(uow.conn, old.id, "replaced", actor_id=actor.user_id if actor
                               else None, actor_role=role_of(actor), reason=reason,
                               details={"replaced_by": str(new)})
    issue = await issue_fields(uow.conn, deps, certificate_id=new, code=old.code,
                               holder=result.trainee, course=result.course)
    if not await certificates.insert_certificate(uow.conn, certificate_id=new, result=result,
                                               status="valid", code=old.code, issue=issue,
                                               replaces=old.id):
        raise Conflict("the verification code is taken", code="code_taken")
    row = issued_row(new, result, issue, replaces=old.id)
    await audit.add_audit(uow.conn, new, "reissued", actor_id=actor.user_id if actor
                               else None, actor_role=role_of(actor), reason=reason,
                               details={"replaces": str(old.id)})
    if not was_revoked:  # an already revoked one was announced when it was revoked
        await uow.publish(CertificateRevoked(
            **event_fields(old, deps, seq=old_seq, actor=actor),
            reason=f"reissued as {issue.number}"))
    await uow.publish(issued_event(row, deps, seq=1, actor=actor, replaces=old.id))
    return row
