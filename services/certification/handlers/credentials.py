"""Re-sign certificates' credentials in the Open Badges 3.0 encoding with the current key.

The credential's content stays as signed (same id, number, dates and status entries); only
its envelope and signature change, so the certificate keeps its number and status.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from services.certification.credentials import vc
from services.certification.credentials.did import did_document
from services.certification.credentials.verify import CredentialInvalid, verify_signature
from services.certification.deps import Deps
from services.certification.handlers.permissions import role_of
from services.certification.handlers.reads import issued_only
from services.certification.repository import audit, certificates, credentials
from services.certification.repository.certificates import CertificateRow
from shared.auth import Principal
from shared.errors import InvalidState, NotFound
from shared.logging import get_logger
from shared.messaging.uow import UnitOfWork, in_transaction

log = get_logger(__name__)
ACTION = "credential_reissued"
Outcome = Literal["upgraded", "current", "unreadable"]


@dataclass(slots=True)
class UpgradeCounts:
    """What `jiangxin credentials upgrade` did: every signed certificate falls in one count."""

    upgraded: int = 0  # re-signed in the OB 3.0 encoding now
    current: int = 0  # already in it (signed so, or upgraded by an earlier run)
    unreadable: int = 0  # stored credentials our keys do not verify: left as they are

    def add(self, outcome: Outcome) -> None:
        """Count one certificate."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def resign(token: str, deps: Deps) -> tuple[str, str]:
    """Return (token, kid): the credential a token of ours carries, signed in the OB 3.0 way."""
    try:
        signed = verify_signature(token, did_document(deps.did, deps.keys.keys))
    except CredentialInvalid as exc:
        raise InvalidState(f"the stored credential does not verify: {exc}",
                           code="credential_unreadable") from exc
    key = deps.keys.signing_key()
    return vc.sign_credential(signed.credential, key, did=deps.did), key.kid


async def reissue_credential(
    certificate_id: UUID, *, deps: Deps, actor: Principal
) -> CertificateRow:
    """Re-sign one certificate's credential (same number and status); record who and when."""
    async def work(uow: UnitOfWork) -> CertificateRow:
        return await _resign_row(uow, deps, await _issued(uow, certificate_id), actor)

    return await in_transaction(deps.uows, work)


async def _issued(uow: UnitOfWork, certificate_id: UUID) -> CertificateRow:
    row = await certificates.lock_certificate(uow.conn, certificate_id)
    if row is None:
        raise NotFound("no such certificate")
    issued_only(row)
    return row


async def _resign_row(
    uow: UnitOfWork, deps: Deps, row: CertificateRow, actor: Principal | None
) -> CertificateRow:
    assert row.credential is not None
    token, kid = resign(row.credential, deps)
    await credentials.replace_credential(uow.conn, row.id, credential=token, kid=kid)
    await audit.add_audit(uow.conn, row.id, ACTION, actor_id=actor.user_id if actor else None,
                          actor_role=role_of(actor),
                          details={"previous_kid": row.kid, "kid": kid, "encoding": "ob3"})
    log.info("credential_reissued", certificate_id=str(row.id), kid=kid)
    return dataclasses.replace(row, credential=token, kid=kid)


def is_legacy_token(token: str) -> bool:
    """Tell whether a stored credential is in the previous encoding (the `vc` claim)."""
    return vc.is_legacy(vc.unverified_claims(token))


async def _upgrade(uow: UnitOfWork, deps: Deps, certificate_id: UUID) -> bool:
    row = await _issued(uow, certificate_id)
    # Read again under the row lock: another run may have upgraded it since the scan.
    if row.credential is None or not is_legacy_token(row.credential):
        return False
    await _resign_row(uow, deps, row, None)
    return True


async def upgrade_credentials(deps: Deps, *, batch: int = 200) -> UpgradeCounts:
    """Re-sign every credential still in the previous encoding; stop and rerun at will."""
    counts, after = UpgradeCounts(), None
    while rows := await credentials.credentials_after(deps.pool, after, batch):
        for row in rows:
            legacy = is_legacy_token(row["credential"])
            outcome: Outcome = await _upgrade_one(deps, row["id"]) if legacy else "current"
            counts.add(outcome)
        after = rows[-1]["id"]
    return counts


async def _upgrade_one(deps: Deps, certificate_id: UUID) -> Outcome:
    try:
        done = await in_transaction(deps.uows, lambda uow: _upgrade(uow, deps, certificate_id))
    except InvalidState as exc:
        if exc.code != "credential_unreadable":
            raise
        log.warning("credential_unreadable", certificate_id=str(certificate_id))
        return "unreadable"
    return "upgraded" if done else "current"
