"""Changing an issued certificate: revoke, suspend, reinstate, ask for a reissue."""

from __future__ import annotations

from typing import Any

from services.certification import handlers
from services.certification.api.base import MANAGERS, TAGS, routes
from services.certification.commands import (
    ChangeStatus,
    ReasonBody,
    ReissueCertificate,
    RevokeBody,
)
from services.certification.handlers import reads
from services.certification.keys import DEPS
from services.certification.views.models import CertificateOut
from shared.web.api import ApiRequest


async def _change(req: ApiRequest[Any, None], action: str, reason: str | None,
                  category: str | None = None) -> CertificateOut:
    cmd = ChangeStatus(certificate_id=req.path_uuid("certificate_id"), action=action,  # type: ignore[arg-type]
                       reason=reason, category=category)
    row = await handlers.change_status(cmd, deps=req.app[DEPS], actor=req.user)
    return reads.present(row, req.app[DEPS])


@routes.post("/api/v1/certificates/{certificate_id}/revoke", body=RevokeBody,
             response=CertificateOut, roles=MANAGERS, tags=TAGS)
async def revoke(req: ApiRequest[RevokeBody, None]) -> CertificateOut:
    """Revoke a certificate for good (admin); the public sees the category, not the text."""
    return await _change(req, "revoke", req.body.reason, req.body.category)


@routes.post("/api/v1/certificates/{certificate_id}/suspend", body=ReasonBody,
             response=CertificateOut, roles=MANAGERS, tags=TAGS)
async def suspend(req: ApiRequest[ReasonBody, None]) -> CertificateOut:
    """Suspend a certificate until an admin reinstates it (trainer of the class, admin)."""
    return await _change(req, "suspend", req.body.reason)


@routes.post("/api/v1/certificates/{certificate_id}/reinstate", response=CertificateOut,
             roles=MANAGERS, tags=TAGS)
async def reinstate(req: ApiRequest[None, None]) -> CertificateOut:
    """Make a suspended certificate valid again (admin only)."""
    return await _change(req, "reinstate", None)


@routes.post("/api/v1/certificates/{certificate_id}/reissue", body=ReasonBody,
             response=CertificateOut, status=201, roles=MANAGERS, tags=TAGS)
async def reissue(req: ApiRequest[ReasonBody, None]) -> CertificateOut:
    """Ask for a replacement (admin): held pending until a second person approves it."""
    cmd = ReissueCertificate(certificate_id=req.path_uuid("certificate_id"),
                             reason=req.body.reason)
    row = await handlers.request_reissue(cmd, deps=req.app[DEPS], actor=req.user)
    return reads.present(row, req.app[DEPS])
