"""Issuing: a class's released results, direct issue, approval of pending certificates."""

from __future__ import annotations

from uuid import UUID

from services.certification import handlers
from services.certification.api.base import STAFF, TAGS, routes
from services.certification.commands import (
    ApproveCertificates,
    Body,
    BulkApproveBody,
    IssueForResult,
)
from services.certification.handlers import reads
from services.certification.keys import DEPS
from services.certification.views.models import (
    ApprovalFailure,
    BulkApproveOut,
    CertificateOut,
    ResultList,
)
from shared.web.api import ApiRequest


class ResultQuery(Body):
    """Which class's results."""

    class_id: UUID


@routes.get("/api/v1/results", response=ResultList, query=ResultQuery, roles=STAFF,
            tags=TAGS)
async def class_results(req: ApiRequest[None, ResultQuery]) -> ResultList:
    """List a class's released results with their certificate (to issue for passes directly)."""
    items = await reads.class_results(req.app[DEPS], req.query.class_id, actor=req.user)
    return ResultList(items=items)


@routes.post("/api/v1/results/{enrollment_id}/certificate", response=CertificateOut,
             status=201, roles=STAFF, tags=TAGS)
async def issue_for_result(req: ApiRequest[None, None]) -> CertificateOut:
    """Issue now for a passing result: an approver, or a class trainer where one step is allowed."""
    cmd = IssueForResult(enrollment_id=req.path_uuid("enrollment_id"))
    row = await handlers.issue_for_result(cmd, deps=req.app[DEPS], actor=req.user)
    return reads.present(row, req.app[DEPS])


@routes.post("/api/v1/certificates/{certificate_id}/approve", response=CertificateOut,
             roles=STAFF, tags=TAGS)
async def approve(req: ApiRequest[None, None]) -> CertificateOut:
    """Approve a pending certificate (examiner or admin not teaching the class): sign and issue."""
    row = await handlers.approve(req.path_uuid("certificate_id"), deps=req.app[DEPS],
                                 actor=req.user)
    return reads.present(row, req.app[DEPS])


@routes.post("/api/v1/certificates/approve", body=BulkApproveBody, response=BulkApproveOut,
             roles=STAFF, tags=TAGS)
async def approve_many(req: ApiRequest[BulkApproveBody, None]) -> BulkApproveOut:
    """Approve many pending certificates; each succeeds or fails on its own."""
    deps = req.app[DEPS]
    approved, failed = await handlers.approve_many(
        ApproveCertificates(tuple(req.body.ids)), deps=deps, actor=req.user)
    return BulkApproveOut(
        approved=[reads.present(r, deps) for r in approved],
        failed=[ApprovalFailure(id=i, code=e.code, detail=e.detail) for i, e in failed],
    )
