"""Read-side queries of the certification service, returning response models."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from services.certification.credentials.status_list import Purpose
from services.certification.domain.certificate import masked_holder, masked_id, public_status
from services.certification.domain.levels import level_name, title_of
from services.certification.models import AuditEntry, CertificateOut, ResultOut, VerifyOut
from services.certification.repository import CertificateRow

_PUBLIC = "status IN ('valid', 'suspended', 'revoked')"
_VERIFY_COLUMNS = f"""
    c.status, c.number, c.code, c.holder->>'name' AS holder_name, c.id_type,
    c.id_number_masked, c.course, c.level, c.hours, c.issued_on, c.expires_on, c.issuer_name,
    c.reason, c.revocation_kind,
    (SELECT n.number FROM certificates n WHERE n.id = c.replaced_by) AS replaced_by_number
FROM certificates c WHERE c.{_PUBLIC} AND """
_BY_NUMBER = f"SELECT {_VERIFY_COLUMNS} c.number = $1"
_BY_CODE = f"SELECT {_VERIFY_COLUMNS} c.code = $1 AND c.replaced_by IS NULL"
_BY_ID = f"SELECT {_VERIFY_COLUMNS} c.id = $1"


async def certificate(pool: asyncpg.Pool, certificate_id: UUID) -> CertificateRow | None:
    """Return one certificate."""
    record = await pool.fetchrow("SELECT * FROM certificates WHERE id = $1", certificate_id)
    return CertificateRow.of(record) if record is not None else None


async def holder_certificates(pool: asyncpg.Pool, user_id: UUID) -> list[CertificateRow]:
    """Return a trainee's certificates, newest first (replaced ones left out)."""
    records = await pool.fetch(
        """SELECT * FROM certificates WHERE holder_user_id = $1 AND replaced_by IS NULL
           AND status <> 'withdrawn' ORDER BY created_at DESC""",
        user_id,
    )
    return [CertificateRow.of(r) for r in records]


async def class_certificates(
    pool: asyncpg.Pool, class_id: UUID, *, status: str | None
) -> list[CertificateRow]:
    """Return the live certificates of a class (pending approvals and issued)."""
    records = await pool.fetch(
        """SELECT * FROM certificates WHERE class_id = $1 AND replaced_by IS NULL
           AND ($2::text IS NULL OR status = $2) ORDER BY created_at""",
        class_id, status,
    )
    return [CertificateRow.of(r) for r in records]


async def class_trainers(pool: asyncpg.Pool, class_id: UUID) -> list[UUID]:
    """Return a class's trainers: the latest ClassTrainersChanged, else as the results name them."""
    ids = await pool.fetchval(
        """SELECT COALESCE(
               (SELECT trainer_ids FROM class_trainers WHERE class_id = $1),
               (SELECT array_agg(DISTINCT t) FROM results, unnest(trainer_ids) AS t
                WHERE class_id = $1))""",
        class_id,
    )
    return list(ids or [])


async def current_trainers(pool: asyncpg.Pool, class_id: UUID) -> list[UUID] | None:
    """Return a class's trainers from ClassTrainersChanged, or None before any arrived."""
    ids = await pool.fetchval("SELECT trainer_ids FROM class_trainers WHERE class_id = $1",
                              class_id)
    return list(ids) if ids is not None else None


async def verification_record(
    pool: asyncpg.Pool, *, number: str | None = None, code: str | None = None,
    certificate_id: UUID | None = None,
) -> asyncpg.Record | None:
    """Return the public facts of an issued certificate by number, code or id."""
    if number is not None:
        return await pool.fetchrow(_BY_NUMBER, number)
    if code is not None:
        return await pool.fetchrow(_BY_CODE, code)
    return await pool.fetchrow(_BY_ID, certificate_id)


async def flagged_indices(pool: asyncpg.Pool, purpose: Purpose, lo: int, hi: int) -> list[int]:
    """Return the status indices in [lo, hi) whose bit is set for a purpose."""
    status = "revoked" if purpose == "revocation" else "suspended"
    rows = await pool.fetch(
        """SELECT status_index FROM certificates
           WHERE status = $1 AND status_index >= $2 AND status_index < $3""",
        status, lo, hi,
    )
    return [r["status_index"] for r in rows]


async def audit(pool: asyncpg.Pool, certificate_id: UUID) -> list[AuditEntry]:
    """Return a certificate's history, oldest first."""
    rows = await pool.fetch(
        """SELECT action, actor_id, actor_role, reason, at FROM certificate_audit
           WHERE certificate_id = $1 ORDER BY id""",
        certificate_id,
    )
    return [AuditEntry(**dict(r)) for r in rows]


def present(row: CertificateRow, *, today: date, base_url: str) -> CertificateOut:
    """Return a certificate as its holder, trainers and admins see it (ID number masked)."""
    issued = row.status in ("valid", "suspended", "revoked")
    shown = public_status(row.status, row.expires_on, today) if issued else row.status  # type: ignore[arg-type]
    links = issued and row.code is not None
    api = f"{base_url}/api/v1/certificates/{row.id}"
    return CertificateOut(
        id=row.id, enrollment_id=row.enrollment_id, class_id=row.class_id,
        kind="skill" if row.level else "training", title=title_of(row.level),
        number=row.number, code=row.code if issued else None, status=shown,
        reason=row.reason, holder=row.holder.name, id_type=row.id_type,
        id_number=masked_id(row.id_number_masked), course=row.course.title_zh,
        course_en=row.course.title_en, occupation=row.course.occupation_name,
        work_type=row.course.work_type or "--", level=row.level,
        level_name=level_name(row.level), hours=None if row.level else row.hours,
        issued_on=row.issued_on, expires_on=row.expires_on,
        issuer=row.issuer_name or "", verify_url=f"{base_url}/verify/{row.code}" if links else None,
        pdf_url=f"{api}/pdf" if links else None, credential_url=f"{api}/credential" if links
        else None, replaces=row.replaces, replaced_by=row.replaced_by,
    )


def present_public(record: asyncpg.Record | dict[str, Any], *, today: date,
                   base_url: str) -> VerifyOut:
    """Return what the public may see: status and masked personal data."""
    course = record["course"]
    level = record["level"]
    status = public_status(record["status"], record["expires_on"], today)
    reason = record["reason"] if status in ("revoked", "suspended") else None
    return VerifyOut(
        status=status, number=record["number"], code=record["code"],
        holder=masked_holder(record["holder_name"]), id_type=record["id_type"],
        id_number=masked_id(record["id_number_masked"]), title=title_of(level),
        course=course["title_zh"], course_en=course["title_en"],
        occupation=course["occupation_name"], work_type=course.get("work_type") or "--",
        level=level, level_name=level_name(level), hours=None if level else record["hours"],
        issued_on=record["issued_on"], expires_on=record["expires_on"],
        issuer=record["issuer_name"], reason=reason,
        replaced_by_number=record["replaced_by_number"],
        verify_url=f"{base_url}/verify/{record['code']}",
    )


async def published_keys(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    """Return the public half of every signing key, oldest first."""
    return list(await pool.fetch(
        "SELECT kid, seq, public_jwk, created_at, retired_at FROM signing_keys ORDER BY seq"
    ))


async def highest_list_number(pool: asyncpg.Pool, size: int) -> int:
    """Return the number of the newest status list in use (0 before any issue)."""
    last = await pool.fetchval("SELECT last_value FROM status_index_seq")
    return int(last) // size


async def class_results(pool: asyncpg.Pool, class_id: UUID) -> list[ResultOut]:
    """Return a class's released results with the live certificate of each."""
    rows = await pool.fetch(
        """SELECT r.enrollment_id, r.class_id, r.payload->'trainee'->>'name' AS holder,
                  r.result_version, r.passed, r.released_at, c.id AS certificate_id,
                  c.status AS certificate_status
           FROM results r
           LEFT JOIN certificates c ON c.enrollment_id = r.enrollment_id
                                   AND c.replaced_by IS NULL
           WHERE r.class_id = $1 ORDER BY r.released_at, r.enrollment_id""",
        class_id,
    )
    return [ResultOut(**dict(r)) for r in rows]
