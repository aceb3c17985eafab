"""What holders, trainers and admins read: certificates, their history, a class's results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from services.certification.domain.certificate import masked_id, public_status
from services.certification.domain.levels import kind_of, level_name, shown_level, title_of
from services.certification.repository.certificates import CertificateRow
from services.certification.views.models import (
    AuditEntry,
    CertificateOut,
    HeldCertificateOut,
    HistoryEntry,
    ResultOut,
)
from shared.events.catalog import EnrollmentCompleted


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
    pool: asyncpg.Pool, class_id: UUID | None, *, status: str | None, limit: int = 500
) -> list[CertificateRow]:
    """Return the live certificates of a class, or of every class (pending and issued)."""
    records = await pool.fetch(
        """SELECT * FROM certificates WHERE ($1::uuid IS NULL OR class_id = $1)
           AND replaced_by IS NULL AND ($2::text IS NULL OR status = $2)
           ORDER BY created_at LIMIT $3""",
        class_id, status, limit,
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


async def audit(pool: asyncpg.Pool, certificate_id: UUID) -> list[AuditEntry]:
    """Return a certificate's history, oldest first."""
    rows = await pool.fetch(
        """SELECT action, actor_id, actor_role, reason, at FROM certificate_audit
           WHERE certificate_id = $1 ORDER BY id""",
        certificate_id,
    )
    return [AuditEntry(**dict(r)) for r in rows]


_HISTORY = """
WITH RECURSIVE chain (id, replaces) AS (
    SELECT id, replaces FROM certificates WHERE id = $1
    UNION ALL
    SELECT c.id, c.replaces FROM certificates c JOIN chain ON c.id = chain.replaces
)
SELECT a.certificate_id, c.number, a.action, a.actor_id, a.actor_role, a.reason,
       a.details->>'category' AS category, a.at
FROM certificate_audit a JOIN chain ON chain.id = a.certificate_id
JOIN certificates c ON c.id = a.certificate_id
ORDER BY a.id
"""


async def history(pool: asyncpg.Pool, certificate_id: UUID) -> list[HistoryEntry]:
    """Return every action on a certificate and on those it replaced, oldest first."""
    return [HistoryEntry(**dict(r)) for r in await pool.fetch(_HISTORY, certificate_id)]


def present(row: CertificateRow, *, today: date, base_url: str) -> CertificateOut:
    """Return a certificate as its holder, trainers and admins see it (ID number masked)."""
    issued = row.status in ("valid", "suspended", "revoked")
    shown = public_status(row.status, row.expires_on, today) if issued else row.status  # type: ignore[arg-type]
    links = issued and row.code is not None
    api = f"{base_url}/api/v1/certificates/{row.id}"
    kind = kind_of(row.course.certificate_kind, row.number)
    level = shown_level(kind, row.level)
    return CertificateOut(
        id=row.id, enrollment_id=row.enrollment_id, class_id=row.class_id,
        kind="skill" if kind == "skill_level" else "training", title=title_of(kind),
        number=row.number, code=row.code if issued else None, status=shown,
        reason=row.reason, holder=row.holder.name, id_type=row.id_type,
        id_number=masked_id(row.id_number_masked), course=row.course.title_zh,
        course_en=row.course.title_en, occupation=row.course.occupation_name,
        work_type=row.course.work_type or "--", level=level,
        level_name=level_name(level), hours=None if level else row.hours,
        issued_on=row.issued_on, expires_on=row.expires_on,
        issuer=row.issuer_name or "", verify_url=f"{base_url}/verify/{row.code}" if links else None,
        pdf_url=f"{api}/pdf" if links else None, credential_url=f"{api}/credential" if links
        else None, replaces=row.replaces, replaced_by=row.replaced_by,
    )


@dataclass(frozen=True, slots=True)
class ReleasedResult:
    """A released result as listed, the result itself and who asked for its pending reissue."""

    out: ResultOut
    result: EnrollmentCompleted
    requested_by: UUID | None


async def class_results(pool: asyncpg.Pool, class_id: UUID) -> list[ReleasedResult]:
    """Return a class's released results with the live certificate of each."""
    rows = await pool.fetch(
        """SELECT r.enrollment_id, r.class_id, r.payload->'trainee'->>'name' AS holder,
                  r.result_version, r.passed, r.released_at, c.id AS certificate_id,
                  c.status AS certificate_status, r.payload,
                  CASE WHEN c.status = 'pending' THEN c.requested_by END AS requested_by
           FROM results r
           LEFT JOIN LATERAL (
               -- A replacement awaiting approval, else the live certificate (migration 0070).
               SELECT id, status, requested_by FROM certificates c
               WHERE c.enrollment_id = r.enrollment_id AND c.replaced_by IS NULL
               ORDER BY (c.replaces IS NOT NULL AND c.status = 'pending') DESC LIMIT 1
           ) c ON true
           WHERE r.class_id = $1 ORDER BY r.released_at, r.enrollment_id""",
        class_id,
    )
    return [ReleasedResult(
        out=ResultOut(**{k: v for k, v in r.items() if k not in ("payload", "requested_by")}),
        result=EnrollmentCompleted.model_validate(r["payload"]), requested_by=r["requested_by"],
    ) for r in rows]


async def held_certificates(pool: asyncpg.Pool, holder: UUID) -> list[HeldCertificateOut]:
    """Return the skill certificates a holder recorded, oldest first."""
    rows = await pool.fetch(
        """SELECT id, number, format, occupation, occupation_code, level, issued_on, issuer,
                  recorded_at
           FROM held_certificates WHERE holder_user_id = $1 ORDER BY recorded_at, id""", holder)
    return [HeldCertificateOut(**dict(r)) for r in rows]
