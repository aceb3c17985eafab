"""What callers ask the certification service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.certification.domain.public import RevokeCategory
from shared.events.catalog import (
    ClassTrainersChanged,
    EnrollmentCompleted,
    TraineeIdentityReviewed,
)


@dataclass(frozen=True, slots=True)
class RecordResult:
    """Apply a released (or corrected) result to the enrolment's certificate."""

    result: EnrollmentCompleted

    @classmethod
    def from_event(cls, event: EnrollmentCompleted) -> RecordResult:
        """Translate the enrollment service's event."""
        return cls(result=event)


@dataclass(frozen=True, slots=True)
class RecordClassTrainers:
    """Remember a class's current trainers (they authorise approvals and revocations)."""

    class_id: UUID
    trainer_ids: tuple[UUID, ...]
    seq: int

    @classmethod
    def from_event(cls, event: ClassTrainersChanged) -> RecordClassTrainers:
        """Translate the enrollment service's event."""
        return cls(class_id=event.class_id, trainer_ids=tuple(event.trainer_ids), seq=event.seq)


@dataclass(frozen=True, slots=True)
class RecordIdentityReview:
    """Remember how many of a holder's identity changes await an admin's confirmation."""

    user_id: UUID
    unconfirmed: int
    seq: int

    @classmethod
    def from_event(cls, event: TraineeIdentityReviewed) -> RecordIdentityReview:
        """Translate the enrollment service's event."""
        return cls(user_id=event.user_id, unconfirmed=event.unconfirmed, seq=event.seq)


@dataclass(frozen=True, slots=True)
class IssueForResult:
    """Issue now for a released, passing result (a trainer's direct issue)."""

    enrollment_id: UUID


@dataclass(frozen=True, slots=True)
class ApproveCertificates:
    """Approve pending certificates (one or many)."""

    certificate_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class ChangeStatus:
    """Revoke, suspend or reinstate one certificate."""

    certificate_id: UUID
    action: Literal["revoke", "suspend", "reinstate"]
    reason: str | None
    category: str | None = None  # a revocation's public category


@dataclass(frozen=True, slots=True)
class ReissueCertificate:
    """Replace a certificate by a new one (new number, same verification URL)."""

    certificate_id: UUID
    reason: str


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonBody(Body):
    """Why a certificate changes (shown publicly for revocations)."""

    reason: str = Field(min_length=1, max_length=500)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must not be blank")
        return value.strip()


class RevokeBody(ReasonBody):
    """Why a certificate is revoked: the text for staff, the category for the public."""

    category: RevokeCategory = Field(
        "other", description="shown publicly: information_error 信息有误, improperly_obtained "
        "违规获取, other 其他原因")


class NumberLookupBody(Body):
    """A certificate number and its holder's full name, as on the national query sites."""

    number: str = Field(min_length=1, max_length=40)
    name: str | None = Field(None, max_length=100, description="required: the holder's name")


class HeldCertificateBody(Body):
    """A skill certificate issued elsewhere that its holder records here."""

    number: str = Field(min_length=16, max_length=30,
                        description="22 characters (Y/S + 21 digits) or a legacy 16-digit number")
    occupation: str = Field(min_length=1, max_length=100)
    occupation_code: str | None = Field(None, max_length=30,
                                        description="职业编码 such as 4-10-01-02, when known")
    level: int | None = Field(None, ge=1, le=5, description="checked against the level digit; "
                              "a national number's level digit when left out")
    issued_on: date | None = None
    issuer: str | None = Field(None, max_length=200)


class OptionalReasonBody(Body):
    """An optional note (reinstatement)."""

    reason: str | None = Field(None, max_length=500)


class BulkApproveBody(Body):
    """Certificates to approve at once."""

    ids: list[UUID] = Field(min_length=1, max_length=500)
