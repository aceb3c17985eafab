"""Read use cases with their permission rules: a trainee sees only their own certificates."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from services.certification.deps import Deps
from services.certification.domain.approval import authors_of, single_step
from services.certification.domain.certificate import masked_id, public_status
from services.certification.domain.levels import kind_of, level_name, shown_level
from services.certification.handlers.permissions import (
    may_issue,
    may_manage,
    oversees,
    require_manager,
)
from services.certification.rendering import pdf
from services.certification.repository.certificates import CertificateRow
from services.certification.views import certificates as views
from services.certification.views.models import (
    AuditEntry,
    CertificateOut,
    HistoryEntry,
    ResultOut,
)
from shared.auth import Principal
from shared.errors import InvalidState, NotFound, ValidationFailed

_NOTES = {
    "revoked": ("已撤销", "REVOKED"),
    "suspended": ("已暂停", "SUSPENDED"),
    "expired": ("已过期", "EXPIRED"),
}


async def visible_certificate(deps: Deps, certificate_id: UUID, actor: Principal) -> CertificateRow:
    """Return a certificate its holder, a trainer of its class, an examiner or an admin may see."""
    row = await views.certificate(deps.pool, certificate_id)
    if row is None:
        raise NotFound("no such certificate")
    if row.holder_user_id == actor.user_id or oversees(actor):
        return row
    if actor.role != "trainer" or not may_manage(actor, await _trainers(deps.pool, row)):
        raise NotFound("no such certificate")
    return row


async def _trainers(pool: asyncpg.Pool, row: CertificateRow) -> list[UUID]:
    current = await views.current_trainers(pool, row.class_id)
    return row.trainer_ids if current is None else current


async def class_certificates(
    deps: Deps, class_id: UUID | None, *, status: str | None, actor: Principal
) -> list[CertificateRow]:
    """Return a class's certificates to its trainers, examiners and admins; without a class,
    every class's (the examiners' and admins' queue of pending approvals)."""
    if class_id is None:
        if not oversees(actor):
            raise ValidationFailed("give the class_id of a class you teach",
                                   code="class_id_required")
        return await views.class_certificates(deps.pool, None, status=status)
    if not oversees(actor):
        require_manager(actor, await views.class_trainers(deps.pool, class_id))
    return await views.class_certificates(deps.pool, class_id, status=status)


async def holder_certificates(deps: Deps, user_id: UUID) -> list[CertificateRow]:
    """Return the caller's own certificates."""
    return await views.holder_certificates(deps.pool, user_id)


async def audit_for(deps: Deps, certificate_id: UUID, actor: Principal) -> list[AuditEntry]:
    """Return a certificate's audit trail to a trainer of its class, an examiner or an admin.

    Anyone else gets the 404 reading the certificate gives them: a 403 here would tell a
    trainer of another class that the certificate exists. (Its holder reads the history.)"""
    row = await views.certificate(deps.pool, certificate_id)
    if row is None or not (oversees(actor) or may_manage(actor, await _trainers(deps.pool, row))):
        raise NotFound("no such certificate")
    return await views.audit(deps.pool, certificate_id)


async def history_for(deps: Deps, certificate_id: UUID, actor: Principal) -> list[HistoryEntry]:
    """Return a certificate's history: in full to staff who may see it, to its holder without
    staff identities (who acted stays a role)."""
    row = await visible_certificate(deps, certificate_id, actor)
    entries = await views.history(deps.pool, certificate_id)
    if oversees(actor) or row.holder_user_id != actor.user_id:
        return entries
    return [e.model_copy(update={"actor_id": None}) for e in entries]


async def class_results(deps: Deps, class_id: UUID, *, actor: Principal) -> list[ResultOut]:
    """Return a class's released results to a trainer of the class or an admin."""
    trainers = await views.class_trainers(deps.pool, class_id)
    if not oversees(actor):
        require_manager(actor, trainers)
    return [row.out.model_copy(update={"may_issue": may_issue(
        actor, trainers, one_step=single_step(row.result.course) and row.requested_by is None,
        authors=authors_of(row.result, requested_by=row.requested_by))})
        for row in await views.class_results(deps.pool, class_id)]


def issued_only(row: CertificateRow) -> None:
    """Raise InvalidState for a certificate that has not been issued."""
    if row.status not in ("valid", "suspended", "revoked") or row.credential is None:
        raise InvalidState("the certificate has not been issued", code="not_issued")


async def render_pdf(
    row: CertificateRow, *, deps: Deps, actor: Principal
) -> bytes:
    """Render the printable certificate; only the holder's own copy shows the full ID number."""
    issued_only(row)
    assert row.number
    assert row.code
    assert row.issued_on
    own = row.holder_user_id == actor.user_id
    full = deps.reveal_id(row.id_number_encrypted) if own else None
    locale = row.holder.locale
    shown = public_status(row.status, row.expires_on, deps.today())  # type: ignore[arg-type]
    note = _NOTES.get(shown)
    kind = kind_of(row.course.certificate_kind, row.number)
    level = shown_level(kind, row.level)
    printed = pdf.PrintedCertificate(
        locale=locale, kind=kind, holder_name=row.holder.name, id_type=row.id_type,
        id_number=full or masked_id(row.id_number_masked), occupation=row.course.occupation_name,
        work_type=row.course.work_type, level=level, level_name=level_name(level, locale=locale),
        course_title=row.course.title_en if locale == "en" else row.course.title_zh,
        hours=row.hours, number=row.number, issued_on=row.issued_on, expires_on=row.expires_on,
        issuer=deps.org_name_en if locale == "en" else (row.issuer_name or deps.org_name),
        verify_url=deps.verify_url(row.code),
        status_note=(note[1] if locale == "en" else note[0]) if note else None,
    )
    return await asyncio.to_thread(pdf.render, printed, font=deps.pdf_font)


def present(row: CertificateRow, deps: Deps) -> CertificateOut:
    """Return the API view of a certificate."""
    return views.present(row, today=deps.today(), base_url=deps.base_url)
