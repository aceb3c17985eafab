"""HTTP routes of the certification service: parse -> command -> handler -> response."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from aiohttp import web
from pydantic import Field

from services.certification import handlers
from services.certification.commands import (
    ApproveCertificates,
    Body,
    BulkApproveBody,
    ChangeStatus,
    IssueForResult,
    ReasonBody,
    ReissueCertificate,
)
from services.certification.handlers import public, reads
from services.certification.keys import DEPS, LIMITER, PROXIES, SETTINGS
from services.certification.models import (
    ApprovalFailure,
    AuditList,
    BulkApproveOut,
    CertificateList,
    CertificateOut,
    CredentialOut,
    ResultList,
    VerifyOut,
)
from shared.web.api import ApiRequest, ApiRoutes

routes = ApiRoutes()
MANAGERS = {"trainer", "admin"}
ANYONE = {"trainee", "trainer", "admin"}
TAGS = ("certificates",)
PUBLIC = ("verification",)


class VerifyBody(Body):
    """A credential as GET /credential returns it (or just its `credential` string)."""

    credential: str | dict[str, Any] = Field(description="the vc+jwt string or the whole object")


class ClassQuery(Body):
    """Which class's certificates, optionally in one status."""

    class_id: UUID
    status: str | None = Field(None, pattern=r"^(pending|valid|suspended|revoked|withdrawn)$")


class ResultQuery(Body):
    """Which class's results."""

    class_id: UUID


def limit_rate(req: ApiRequest[Any, Any]) -> None:
    """Take a token from the caller's bucket (public endpoints)."""
    client = req.app[PROXIES].client_of(req.request)
    req.app[LIMITER].take(client)


def cacheable(req: ApiRequest[Any, Any], body: bytes, content_type: str) -> web.Response:
    """Answer with a short public cache lifetime and an ETag (304 when it still matches)."""
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    max_age = req.app[SETTINGS].verify_cache_max_age_s
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"}
    if etag in (req.header("If-None-Match") or ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, headers=headers)


# --- the holder, trainers and admins --------------------------------------------------------


@routes.get("/api/v1/me/certificates", response=CertificateList, roles=ANYONE, tags=TAGS)
async def my_certificates(req: ApiRequest[None, None]) -> CertificateList:
    """List the caller's own certificates (pending ones included) with their links."""
    deps = req.app[DEPS]
    rows = await reads.holder_certificates(deps, req.user.user_id)
    return CertificateList(items=[reads.present(r, deps) for r in rows])


@routes.get("/api/v1/certificates/{certificate_id}", response=CertificateOut, roles=ANYONE,
            tags=TAGS)
async def get_certificate(req: ApiRequest[None, None]) -> CertificateOut:
    """Show one certificate to its holder, a trainer of its class or an admin."""
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


@routes.get("/api/v1/certificates/{certificate_id}/audit", response=AuditList, roles=MANAGERS,
            tags=TAGS)
async def get_audit(req: ApiRequest[None, None]) -> AuditList:
    """Show who did what to a certificate, when and why."""
    items = await reads.audit_for(req.app[DEPS], req.path_uuid("certificate_id"), req.user)
    return AuditList(items=items)


@routes.get("/api/v1/certificates", response=CertificateList, query=ClassQuery,
            roles=MANAGERS, tags=TAGS)
async def class_certificates(req: ApiRequest[None, ClassQuery]) -> CertificateList:
    """List a class's certificates: pending approvals and issued (trainer of the class, admin)."""
    deps = req.app[DEPS]
    rows = await reads.class_certificates(deps, req.query.class_id, status=req.query.status,
                                          actor=req.user)
    return CertificateList(items=[reads.present(r, deps) for r in rows])


@routes.get("/api/v1/results", response=ResultList, query=ResultQuery, roles=MANAGERS,
            tags=TAGS)
async def class_results(req: ApiRequest[None, ResultQuery]) -> ResultList:
    """List a class's released results with their certificate (to issue for passes directly)."""
    items = await reads.class_results(req.app[DEPS], req.query.class_id, actor=req.user)
    return ResultList(items=items)


@routes.post("/api/v1/results/{enrollment_id}/certificate", response=CertificateOut,
             status=201, roles=MANAGERS, tags=TAGS)
async def issue_for_result(req: ApiRequest[None, None]) -> CertificateOut:
    """Issue now for a released, passing result (trainer of the class, admin)."""
    cmd = IssueForResult(enrollment_id=req.path_uuid("enrollment_id"))
    row = await handlers.issue_for_result(cmd, deps=req.app[DEPS], actor=req.user)
    return reads.present(row, req.app[DEPS])


@routes.post("/api/v1/certificates/{certificate_id}/approve", response=CertificateOut,
             roles=MANAGERS, tags=TAGS)
async def approve(req: ApiRequest[None, None]) -> CertificateOut:
    """Approve a pending certificate: it is numbered, signed and issued."""
    row = await handlers.approve(req.path_uuid("certificate_id"), deps=req.app[DEPS],
                                 actor=req.user)
    return reads.present(row, req.app[DEPS])


@routes.post("/api/v1/certificates/approve", body=BulkApproveBody, response=BulkApproveOut,
             roles=MANAGERS, tags=TAGS)
async def approve_many(req: ApiRequest[BulkApproveBody, None]) -> BulkApproveOut:
    """Approve many pending certificates; each succeeds or fails on its own."""
    deps = req.app[DEPS]
    approved, failed = await handlers.approve_many(
        ApproveCertificates(tuple(req.body.ids)), deps=deps, actor=req.user)
    return BulkApproveOut(
        approved=[reads.present(r, deps) for r in approved],
        failed=[ApprovalFailure(id=i, code=e.code, detail=e.detail) for i, e in failed],
    )


async def _change(req: ApiRequest[Any, None], action: str, reason: str | None) -> CertificateOut:
    cmd = ChangeStatus(certificate_id=req.path_uuid("certificate_id"), action=action,  # type: ignore[arg-type]
                       reason=reason)
    row = await handlers.change_status(cmd, deps=req.app[DEPS], actor=req.user)
    return reads.present(row, req.app[DEPS])


@routes.post("/api/v1/certificates/{certificate_id}/revoke", body=ReasonBody,
             response=CertificateOut, roles=MANAGERS, tags=TAGS)
async def revoke(req: ApiRequest[ReasonBody, None]) -> CertificateOut:
    """Revoke a certificate for good, with a reason shown on the public page."""
    return await _change(req, "revoke", req.body.reason)


@routes.post("/api/v1/certificates/{certificate_id}/suspend", body=ReasonBody,
             response=CertificateOut, roles=MANAGERS, tags=TAGS)
async def suspend(req: ApiRequest[ReasonBody, None]) -> CertificateOut:
    """Suspend a certificate until it is reinstated."""
    return await _change(req, "suspend", req.body.reason)


@routes.post("/api/v1/certificates/{certificate_id}/reinstate", response=CertificateOut,
             roles=MANAGERS, tags=TAGS)
async def reinstate(req: ApiRequest[None, None]) -> CertificateOut:
    """Make a suspended certificate valid again."""
    return await _change(req, "reinstate", None)


@routes.post("/api/v1/certificates/{certificate_id}/reissue", body=ReasonBody,
             response=CertificateOut, status=201, roles=MANAGERS, tags=TAGS)
async def reissue(req: ApiRequest[ReasonBody, None]) -> CertificateOut:
    """Replace a certificate: new number, same verification URL; the old one reads revoked."""
    cmd = ReissueCertificate(certificate_id=req.path_uuid("certificate_id"),
                             reason=req.body.reason)
    row = await handlers.reissue(cmd, deps=req.app[DEPS], actor=req.user)
    return reads.present(row, req.app[DEPS])


# --- the public -----------------------------------------------------------------------------


@routes.get("/api/v1/verify/{number_or_code}", response=VerifyOut, tags=PUBLIC)
async def verify(req: ApiRequest[None, None]) -> web.Response:
    """Check a certificate by number or short code: status and masked holder data."""
    limit_rate(req)
    out = await public.lookup(req.app[DEPS], req.path("number_or_code"))
    return cacheable(req, out.model_dump_json().encode(), "application/json")


@routes.post("/api/v1/verify", body=VerifyBody, response=VerifyOut, tags=PUBLIC)
async def verify_credential(req: ApiRequest[VerifyBody, None]) -> VerifyOut:
    """Check a credential's signature and its current status."""
    limit_rate(req)
    return await public.verify_posted(req.app[DEPS], req.body.credential)


@routes.get("/.well-known/did.json", tags=PUBLIC)
async def did_document(req: ApiRequest[None, None]) -> web.Response:
    """Publish the issuer's DID document (every key, retired ones included)."""
    document = await public.published_document(req.app[DEPS])
    return cacheable(req, json.dumps(document).encode(), "application/json")


@routes.get("/api/v1/status-lists/{list_id}", tags=PUBLIC,
            content_types=("application/vc+jwt", "application/json"))
async def status_list(req: ApiRequest[None, None]) -> web.Response:
    """Publish a Bitstring Status List credential (VC-JWT; JSON when Accept asks for it)."""
    credential, token = await public.status_list(req.app[DEPS], req.path("list_id"))
    accept = req.header("Accept") or ""
    if "json" in accept and "jwt" not in accept:
        return cacheable(req, json.dumps(credential).encode(), "application/json")
    return cacheable(req, token.encode(), "application/vc+jwt")
