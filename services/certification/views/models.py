"""Response models of the certification API (the HTTP contract)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

ShownStatus = Literal["pending", "withdrawn", "valid", "suspended", "revoked", "expired"]


class Out(BaseModel):
    """A response body."""

    model_config = ConfigDict(frozen=True)


class CertificateOut(Out):
    """A certificate as its holder, its trainers and admins see it."""

    id: UUID
    enrollment_id: UUID
    class_id: UUID
    kind: Literal["skill", "training"]
    title: str
    number: str | None
    code: str | None
    status: ShownStatus
    reason: str | None = None
    holder: str
    id_type: str | None = None
    id_number: str | None = None
    course: str
    course_en: str
    occupation: str
    work_type: str
    level: int | None
    level_name: str | None
    hours: float | None
    issued_on: date | None
    expires_on: date | None
    issuer: str
    verify_url: str | None
    pdf_url: str | None
    credential_url: str | None
    replaces: UUID | None = None
    replaced_by: UUID | None = None


class CertificateList(Out):
    """A page of certificates."""

    items: list[CertificateOut]


class CredentialOut(Out):
    """A portable credential: `vc+jwt` (a compact JWS string)."""

    format: Literal["vc+jwt", "ldp_vc"]
    credential: str | dict[str, Any]


class VerifyOut(Out):
    """What the public sees when checking a certificate (masked personal data only)."""

    status: Literal["valid", "revoked", "suspended", "expired", "invalid"]
    number: str | None = None
    code: str | None = None
    holder: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    title: str | None = None
    kind: Literal["training", "skill_level"] | None = None
    course: str | None = None
    course_en: str | None = None
    occupation: str | None = None
    work_type: str | None = None
    level: int | None = None
    level_name: str | None = None
    hours: float | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    issuer: str | None = None
    reason: str | None = Field(None, description="the category's label (信息有误, 违规获取, ...)")
    reason_code: str | None = Field(
        None, description="information_error, improperly_obtained, result_corrected, "
        "reissued, under_review, other")
    replaced_by_number: str | None = None
    verify_url: str | None = Field(None, description="absent when looked up by number")
    signature_valid: bool | None = None
    errors: list[str] | None = None


class ApprovalFailure(Out):
    """Why one certificate of a bulk approval was not approved."""

    id: UUID
    code: str
    detail: str


class BulkApproveOut(Out):
    """The outcome of a bulk approval."""

    approved: list[CertificateOut]
    failed: list[ApprovalFailure]


class AuditEntry(Out):
    """One line of a certificate's history."""

    action: str
    actor_id: UUID | None
    actor_role: str
    reason: str | None
    at: datetime


class AuditList(Out):
    """A certificate's history, oldest first."""

    items: list[AuditEntry]


class ResultOut(Out):
    """A released result and the certificate it led to, if any."""

    enrollment_id: UUID
    class_id: UUID
    holder: str
    result_version: int
    passed: bool
    released_at: datetime
    certificate_id: UUID | None
    certificate_status: str | None
    may_issue: bool = Field(False, description="whether the caller may issue now for it "
                                               "(four eyes: never a trainer of the class, "
                                               "except where one step is allowed)")


class ResultList(Out):
    """A class's released results."""

    items: list[ResultOut]


class HeldCertificateOut(Out):
    """A skill certificate its holder recorded (issued elsewhere; not verified here)."""

    id: UUID
    number: str
    format: Literal["national", "legacy"] = Field(
        description="national: 22 characters; legacy: a 16-digit 职业资格证书 number")
    occupation: str
    occupation_code: str | None
    level: int | None
    issued_on: date | None
    issuer: str | None
    recorded_at: datetime


class HeldCertificateList(Out):
    """The skill certificates a holder recorded."""

    items: list[HeldCertificateOut]


class HistoryEntry(Out):
    """One action on a certificate (or on one it replaced): who, in what role, when, why."""

    certificate_id: UUID
    number: str | None = Field(description="the number of the certificate acted on")
    action: str = Field(description="issued, held_for_approval, reissue_requested, approved, "
                        "suspended, reinstated, revoked, replaced, reissued, withdrawn, "
                        "credential_reissued")
    actor_id: UUID | None = Field(description="null for the system, and in a holder's own view")
    actor_role: str
    reason: str | None
    category: str | None = Field(None, description="a revocation's public category")
    at: datetime


class HistoryList(Out):
    """A certificate's history, oldest first, through the certificates it replaced."""

    items: list[HistoryEntry]
