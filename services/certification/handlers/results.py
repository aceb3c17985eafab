"""Apply a released or corrected result to the enrolment's certificate (in the consumer's
transaction): issue, hold for approval, withdraw, revoke, or replace."""

from __future__ import annotations

from services.certification.commands import RecordResult
from services.certification.deps import Deps
from services.certification.domain.approval import effective_policy
from services.certification.domain.certificate import Decision, Live, decide
from services.certification.domain.codes import new_code
from services.certification.handlers.events import event_fields
from services.certification.handlers.issuing import issue_new, reissue_from
from services.certification.repository import audit, certificates, identity_reviews, results
from services.certification.repository.certificates import CertificateRow
from shared.events.catalog import CertificateRevoked, EnrollmentCompleted
from shared.ids import new_id
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork

log = get_logger(__name__)


async def record_result(cmd: RecordResult, *, uow: UnitOfWork, deps: Deps) -> Decision:
    """Apply a released or corrected result: issue, hold, withdraw, revoke or reissue."""
    result = cmd.result
    first = await results.record_result(uow.conn, result)
    if first is None:
        log.info("result_not_newer_ignored", enrollment_id=str(result.enrollment_id),
                 result_version=result.result_version)
        return Decision.NOTHING
    # A first result has no certificate yet: every certificate follows a recorded result.
    # Else the decision is about a replacement awaiting approval if any, else the live one.
    live = None if first else await certificates.lock_current(uow.conn, result.enrollment_id)
    state = Live(live.status, live.revocation_kind) if live else None  # type: ignore[arg-type]
    policy = effective_policy(result.course)
    if policy == "auto" and await identity_reviews.unconfirmed(uow.conn, result.trainee.user_id):
        policy = "approval"  # a changed name or ID waits for an admin, then for an approver
    decision = decide(state, passed=result.passed, policy=policy)
    if decision is Decision.ISSUE:
        await issue_new(uow, deps, result, live, actor=None)
    elif decision is Decision.HOLD:
        await _hold(uow, result, live)
    elif decision is Decision.WITHDRAW and live is not None:
        await _withdraw(uow, deps, live, result)
    elif decision is Decision.REVOKE and live is not None:
        await _revoke_for_correction(uow, deps, live, result)
    elif decision is Decision.REISSUE and live is not None:
        await reissue_from(uow, deps, live, result, actor=None,
                           reason="result corrected to passed")
    elif decision is Decision.HOLD_REISSUE and live is not None:
        await _hold_replacement(uow, result, live)
    log.info("result_recorded", enrollment_id=str(result.enrollment_id),
             result_version=result.result_version, decision=decision.value)
    return decision


async def _hold(uow: UnitOfWork, result: EnrollmentCompleted, live: CertificateRow | None) -> None:
    if live is not None:
        await certificates.refresh_pending(uow.conn, live.id, result)
        certificate_id = live.id
    else:
        certificate_id = new_id()
        while not await certificates.insert_certificate(
            uow.conn, certificate_id=certificate_id, result=result, status="pending",
            code=new_code(), issue=None,
        ):
            pass
    await audit.add_audit(uow.conn, certificate_id, "held_for_approval", actor_id=None,
                          actor_role="system")


async def _hold_replacement(
    uow: UnitOfWork, result: EnrollmentCompleted, revoked: CertificateRow
) -> None:
    """Hold a replacement for approval; the revoked certificate stays as it is until then."""
    certificate_id = new_id()
    # No code yet: the revoked certificate keeps it (and its verification URL) until approval.
    await certificates.insert_certificate(uow.conn, certificate_id=certificate_id, result=result,
                                          status="pending", code=None, issue=None,
                                          replaces=revoked.id)
    await audit.add_audit(uow.conn, certificate_id, "held_for_approval", actor_id=None,
                          actor_role="system",
                          reason=f"result corrected to passed (version {result.result_version})",
                          details={"replaces": str(revoked.id)})


async def _withdraw(
    uow: UnitOfWork, deps: Deps, pending: CertificateRow, result: EnrollmentCompleted
) -> None:
    reason = "result corrected to failed"
    await certificates.set_status(uow.conn, pending.id, status="withdrawn", reason=reason)
    await audit.add_audit(uow.conn, pending.id, "withdrawn", actor_id=None,
                          actor_role="system", reason=reason)
    if pending.replaces is None:
        return
    # A reissue awaiting approval replaces a certificate still in force: the fail revokes it.
    replaced = await certificates.lock_certificate(uow.conn, pending.replaces)
    if replaced is not None and replaced.status in ("valid", "suspended"):
        await _revoke_for_correction(uow, deps, replaced, result)


async def _revoke_for_correction(
    uow: UnitOfWork, deps: Deps, live: CertificateRow, result: EnrollmentCompleted
) -> None:
    reason = f"result corrected to failed (version {result.result_version})"
    seq = await certificates.set_status(uow.conn, live.id, status="revoked", reason=reason,
                                        revocation_kind="result_corrected")
    await audit.add_audit(uow.conn, live.id, "revoked", actor_id=None, actor_role="system",
                          reason=reason)
    await uow.publish(CertificateRevoked(**event_fields(live, deps, seq=seq, actor=None),
                                         reason=reason))
