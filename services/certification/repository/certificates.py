"""Certificates as stored: insert, issue, change status; locked reads before a write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Conn
from shared.events.catalog import CourseInfo, EnrollmentCompleted, Recipient


@dataclass(frozen=True, slots=True)
class CertificateRow:
    """A certificate as stored."""

    id: UUID
    enrollment_id: UUID
    class_id: UUID
    holder_user_id: UUID | None
    trainer_ids: list[UUID]
    status: str
    seq: int
    result_version: int
    holder: Recipient
    id_type: str | None
    id_number_masked: str | None
    id_number_encrypted: str | None
    course: CourseInfo
    level: int | None
    hours: float | None
    number: str | None
    code: str | None
    issued_at: datetime | None
    issued_on: date | None
    expires_on: date | None
    issuer_name: str | None
    status_index: int | None
    kid: str | None
    credential: str | None
    reason: str | None
    revocation_kind: str | None
    replaces: UUID | None
    replaced_by: UUID | None
    # A replacement a person asked for (a reissue): who and why; None for every other row.
    requested_by: UUID | None = None
    request_reason: str | None = None

    @classmethod
    def of(cls, record: asyncpg.Record) -> CertificateRow:
        """Build from a `SELECT *` record."""
        values = {k: record[k] for k in cls.__slots__}
        values["holder"] = Recipient.model_validate(record["holder"])
        values["course"] = CourseInfo.model_validate(record["course"])
        values["trainer_ids"] = list(record["trainer_ids"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Issue:
    """The fields a certificate gets when it is issued."""

    number: str
    code: str
    issued_at: datetime
    issued_on: date
    expires_on: date | None
    issuer_name: str
    status_index: int
    kid: str
    credential: str


# A replacement held for approval (migration 0070): not yet the enrolment's live certificate.
_OPEN_REPLACEMENT = "replaces IS NOT NULL AND status IN ('pending', 'withdrawn')"


async def lock_live(conn: Conn, enrollment_id: UUID) -> CertificateRow | None:
    """Return the live certificate of an enrolment, locked."""
    record = await conn.fetchrow(
        f"""SELECT * FROM certificates WHERE enrollment_id = $1 AND replaced_by IS NULL
            AND NOT ({_OPEN_REPLACEMENT}) FOR UPDATE""",
        enrollment_id,
    )
    return CertificateRow.of(record) if record is not None else None


async def lock_open_replacement(conn: Conn, enrollment_id: UUID) -> CertificateRow | None:
    """Return the enrolment's replacement awaiting approval (pending or withdrawn), locked."""
    record = await conn.fetchrow(
        f"""SELECT * FROM certificates WHERE enrollment_id = $1 AND replaced_by IS NULL
            AND {_OPEN_REPLACEMENT} FOR UPDATE""",
        enrollment_id,
    )
    return CertificateRow.of(record) if record is not None else None


async def lock_current(conn: Conn, enrollment_id: UUID) -> CertificateRow | None:
    """Return, locked, what a newer result or an issuing decides about: the enrolment's
    replacement awaiting approval if there is one, else its live certificate.

    The replacement is locked before the one it replaces, as approving it does."""
    return await lock_open_replacement(conn, enrollment_id) or await lock_live(conn, enrollment_id)


async def lock_certificate(conn: Conn, certificate_id: UUID) -> CertificateRow | None:
    """Return a certificate, locked."""
    record = await conn.fetchrow("SELECT * FROM certificates WHERE id = $1 FOR UPDATE",
                                 certificate_id)
    return CertificateRow.of(record) if record is not None else None


_INSERT = """
INSERT INTO certificates (id, enrollment_id, class_id, holder_user_id, trainer_ids, status,
    result_version, holder, id_type, id_number_masked, id_number_encrypted, course, level, hours,
    code, replaces, number, issued_at, issued_on, expires_on, issuer_name, status_index, kid,
    credential, requested_by, request_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24, $25, $26)
ON CONFLICT (code) WHERE replaced_by IS NULL AND code IS NOT NULL DO NOTHING
RETURNING seq
"""


async def insert_certificate(
    conn: Conn, *, certificate_id: UUID, result: EnrollmentCompleted, status: str,
    code: str | None, issue: Issue | None, replaces: UUID | None = None,
    requested_by: UUID | None = None, request_reason: str | None = None,
) -> bool:
    """Insert a pending or issued certificate; False when the code is taken (draw another).

    A replacement held for approval has no code yet: it takes over the one it replaces when
    it is approved. A reissue names who asked for it, and why."""
    identity = result.identity
    seq = await conn.fetchval(
        _INSERT, certificate_id, result.enrollment_id, result.class_info.class_id,
        result.trainee.user_id, result.trainer_ids, status, result.result_version,
        result.trainee.model_dump(mode="json"),
        identity.id_type if identity else None, identity.number_masked if identity else None,
        identity.number_encrypted if identity else None,
        result.course.model_dump(mode="json"), result.course.level, result.course.required_hours,
        code, replaces,
        *(_issue_values(issue) if issue else (None,) * 8),
        requested_by, request_reason,
    )
    return seq is not None


def _issue_values(issue: Issue) -> tuple[Any, ...]:
    return (issue.number, issue.issued_at, issue.issued_on, issue.expires_on, issue.issuer_name,
            issue.status_index, issue.kid, issue.credential)


async def mark_issued(conn: Conn, certificate_id: UUID, issue: Issue) -> int:
    """Turn a pending certificate into a valid one; return its new seq."""
    seq: int = await conn.fetchval(
        """UPDATE certificates SET status = 'valid', number = $2, issued_at = $3, issued_on = $4,
               expires_on = $5, issuer_name = $6, status_index = $7, kid = $8, credential = $9,
               code = $10, seq = seq + 1, updated_at = now()
           WHERE id = $1 RETURNING seq""",
        certificate_id, *_issue_values(issue), issue.code,
    )
    return seq


async def mark_replaced(conn: Conn, certificate_id: UUID, *, replaced_by: UUID) -> None:
    """Record that a revoked certificate was replaced (its status and reason stay)."""
    await conn.execute(
        "UPDATE certificates SET replaced_by = $2, updated_at = now() WHERE id = $1",
        certificate_id, replaced_by,
    )


async def refresh_pending(
    conn: Conn, certificate_id: UUID, result: EnrollmentCompleted
) -> None:
    """Put a withdrawn or pending certificate back to pending with the newest result's data."""
    identity = result.identity
    await conn.execute(
        """UPDATE certificates SET status = 'pending', result_version = $2, holder = $3,
               id_type = $4, id_number_masked = $5, id_number_encrypted = $6, course = $7,
               level = $8, hours = $9, trainer_ids = $10, reason = NULL, seq = seq + 1,
               updated_at = now()
           WHERE id = $1""",
        certificate_id, result.result_version, result.trainee.model_dump(mode="json"),
        identity.id_type if identity else None, identity.number_masked if identity else None,
        identity.number_encrypted if identity else None, result.course.model_dump(mode="json"),
        result.course.level, result.course.required_hours, result.trainer_ids,
    )


async def set_status(
    conn: Conn, certificate_id: UUID, *, status: str, reason: str | None,
    revocation_kind: str | None = None, replaced_by: UUID | None = None,
    category: str | None = None,
) -> int:
    """Change a certificate's status; return its new seq."""
    seq: int = await conn.fetchval(
        """UPDATE certificates SET status = $2, reason = $3, revocation_kind = $4,
               replaced_by = COALESCE($5, replaced_by), reason_category = $6, seq = seq + 1,
               updated_at = now()
           WHERE id = $1 RETURNING seq""",
        certificate_id, status, reason, revocation_kind, replaced_by, category,
    )
    return seq
