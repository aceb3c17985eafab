"""Certificates as their holder, the trainers of their class and admins read them."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web
from pydantic import Field

from services.certification.api.base import ANYONE, STAFF, TAGS, routes
from services.certification.commands import Body, HeldCertificateBody
from services.certification.handlers import held, reads
from services.certification.keys import DEPS
from services.certification.views import certificates as views
from services.certification.views.models import (
    AuditList,
    CertificateList,
    CertificateOut,
    CredentialOut,
    HeldCertificateList,
    HistoryList,
)
from shared.web.api import ApiRequest


class ClassQuery(Body):
    """Which class's certificates, optionally in one status."""

    class_id: UUID | None = Field(None, description="required for trainers; examiners and "
                                  "admins may leave it out to list every class's")
    status: str | None = Field(None, pattern=r"^(pending|valid|suspended|revoked|withdrawn)$")


@routes.get("/api/v1/me/certificates", response=CertificateList, roles=ANYONE, tags=TAGS)
async def my_certificates(req: ApiRequest[None, None]) -> CertificateList:
    """List the caller's own certificates (pending ones included) with their links."""
    deps = req.app[DEPS]
    rows = await reads.holder_certificates(deps, req.user.user_id)
    return CertificateList(items=[reads.present(r, deps) for r in rows])


@routes.get("/api/v1/certificates/{certificate_id}", response=CertificateOut, roles=ANYONE,
            tags=TAGS)
async def get_certificate(req: ApiRequest[None, None]) -> CertificateOut:
    """Show one certificate to its holder, a trainer of its class, an examiner or an admin."""
    row = await reads.visible_certificate(req.app[DEPS], req.path_uuid("certificate_id"),
                                          req.user)
    return reads.present(row, req.app[DEPS])


@routes.get("/api/v1/certificates/{certificate_id}/pdf", roles=ANYONE, tags=TAGS,
            content_types=("application/pdf",))
async def get_pdf(req: ApiRequest[None, None]) -> web.Response:
    """Download the printable A4 certificate (PDF)."""
    row = await reads.visible_certificate(req.app[DEPS], req.path_uuid("certificate_id"),
                                          req.user)
    body = await reads.render_pdf(row, deps=req.app[DEPS], actor=req.user)
    return web.Response(body=body, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="certificate-{row.number}.pdf"'})


@routes.get("/api/v1/certificates/{certificate_id}/credential", response=CredentialOut,
            roles=ANYONE, tags=TAGS)
async def get_credential(req: ApiRequest[None, None]) -> CredentialOut:
    """Return the signed Open Badges 3.0 credential (VC-JWT)."""
    row = await reads.visible_certificate(req.app[DEPS], req.path_uuid("certificate_id"),
                                          req.user)
    reads.issued_only(row)
    assert row.credential is not None
    return CredentialOut(format="vc+jwt", credential=row.credential)


@routes.get("/api/v1/certificates/{certificate_id}/audit", response=AuditList, roles=STAFF,
            tags=TAGS)
async def get_audit(req: ApiRequest[None, None]) -> AuditList:
    """Show who did what to a certificate, when and why."""
    items = await reads.audit_for(req.app[DEPS], req.path_uuid("certificate_id"), req.user)
    return AuditList(items=items)


@routes.get("/api/v1/certificates/{certificate_id}/history", response=HistoryList,
            roles=ANYONE, tags=TAGS, extra_statuses=(404,))
async def get_history(req: ApiRequest[None, None]) -> HistoryList:
    """List every action on a certificate: actor, role, time, reason (holders: no staff ids)."""
    items = await reads.history_for(req.app[DEPS], req.path_uuid("certificate_id"), req.user)
    return HistoryList(items=items)


@routes.get("/api/v1/certificates", response=CertificateList, query=ClassQuery,
            roles=STAFF, tags=TAGS)
async def class_certificates(req: ApiRequest[None, ClassQuery]) -> CertificateList:
    """List a class's certificates, pending and issued (its trainers, examiners, admins)."""
    deps = req.app[DEPS]
    rows = await reads.class_certificates(deps, req.query.class_id, status=req.query.status,
                                          actor=req.user)
    return CertificateList(items=[reads.present(r, deps) for r in rows])


@routes.get("/api/v1/me/held-certificates", response=HeldCertificateList, roles=ANYONE,
            tags=TAGS)
async def my_held_certificates(req: ApiRequest[None, None]) -> HeldCertificateList:
    """List the skill certificates from elsewhere the caller recorded."""
    items = await views.held_certificates(req.app[DEPS].pool, req.user.user_id)
    return HeldCertificateList(items=items)


@routes.post("/api/v1/me/held-certificates", body=HeldCertificateBody,
             response=HeldCertificateList, status=201, roles=ANYONE, tags=TAGS,
             extra_statuses=(409,))
async def record_held_certificate(
    req: ApiRequest[HeldCertificateBody, None],
) -> HeldCertificateList:
    """Record a skill certificate held from elsewhere (22 characters or legacy 16 digits).

    Announced to enrollment: no subsidised course below its level in that occupation is open
    to the holder then."""
    items = await held.record_held(req.body, deps=req.app[DEPS], actor=req.user)
    return HeldCertificateList(items=items)
