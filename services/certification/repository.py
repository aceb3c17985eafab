"""All writing SQL of the certification service (and the row reads that precede writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.certification.domain.numbers import CounterKey
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


_UPSERT_RESULT = """
INSERT INTO results (enrollment_id, result_version, passed, class_id, trainee_user_id,
                     trainer_ids, released_at, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (enrollment_id) DO UPDATE SET
    result_version = EXCLUDED.result_version, passed = EXCLUDED.passed,
    class_id = EXCLUDED.class_id, trainee_user_id = EXCLUDED.trainee_user_id,
    trainer_ids = EXCLUDED.trainer_ids, released_at = EXCLUDED.released_at,
    payload = EXCLUDED.payload, updated_at = now()
WHERE results.result_version < EXCLUDED.result_version
RETURNING (xmax = 0) AS first
"""


async def record_result(conn: Conn, result: EnrollmentCompleted) -> bool | None:
    """Store a result unless an equal or newer version is known.

    Return None when it was not newer, True when it is the enrolment's first result (so no
    certificate can exist yet), False when it replaced an older version.
    """
    # The row lock taken here serialises every change of this enrolment until commit.
    first: bool | None = await conn.fetchval(
        _UPSERT_RESULT, result.enrollment_id, result.result_version, result.passed,
        result.class_info.class_id, result.trainee.user_id, result.trainer_ids,
        result.released_at, result.model_dump(mode="json"),
    )
    return first


_UPSERT_TRAINERS = """
INSERT INTO class_trainers (class_id, trainer_ids, seq) VALUES ($1, $2, $3)
ON CONFLICT (class_id) DO UPDATE SET
    trainer_ids = EXCLUDED.trainer_ids, seq = EXCLUDED.seq, updated_at = now()
WHERE class_trainers.seq < EXCLUDED.seq
RETURNING seq
"""


async def record_class_trainers(
    conn: Conn, *, class_id: UUID, trainer_ids: list[UUID], seq: int
) -> bool:
    """Store a class's current trainers unless an equal or later seq is known; True if stored."""
    stored = await conn.fetchval(_UPSERT_TRAINERS, class_id, trainer_ids, seq)
    return stored is not None


async def class_trainers(conn: Conn, class_id: UUID) -> list[UUID] | None:
    """Return a class's current trainers, or None before any ClassTrainersChanged arrived."""
    ids = await conn.fetchval("SELECT trainer_ids FROM class_trainers WHERE class_id = $1",
                              class_id)
    return list(ids) if ids is not None else None


async def lock_result(conn: Conn, enrollment_id: UUID) -> EnrollmentCompleted | None:
    """Return the latest result of an enrolment, locked for this transaction."""
    payload = await conn.fetchval(
        "SELECT payload FROM results WHERE enrollment_id = $1 FOR UPDATE", enrollment_id
    )
    return EnrollmentCompleted.model_validate(payload) if payload is not None else None


async def lock_live(conn: Conn, enrollment_id: UUID) -> CertificateRow | None:
    """Return the live certificate of an enrolment, locked."""
    record = await conn.fetchrow(
        "SELECT * FROM certificates WHERE enrollment_id = $1 AND replaced_by IS NULL FOR UPDATE",
        enrollment_id,
    )
    return CertificateRow.of(record) if record is not None else None


async def lock_certificate(conn: Conn, certificate_id: UUID) -> CertificateRow | None:
    """Return a certificate, locked."""
    record = await conn.fetchrow("SELECT * FROM certificates WHERE id = $1 FOR UPDATE",
                                 certificate_id)
    return CertificateRow.of(record) if record is not None else None


_INSERT = """
INSERT INTO certificates (id, enrollment_id, class_id, holder_user_id, trainer_ids, status,
    result_version, holder, id_type, id_number_masked, id_number_encrypted, course, level, hours,
    code, replaces, number, issued_at, issued_on, expires_on, issuer_name, status_index, kid,
    credential)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24)
ON CONFLICT (code) WHERE replaced_by IS NULL AND code IS NOT NULL DO NOTHING
RETURNING seq
"""


async def insert_certificate(
    conn: Conn, *, certificate_id: UUID, result: EnrollmentCompleted, status: str,
    code: str, issue: Issue | None, replaces: UUID | None = None,
) -> bool:
    """Insert a pending or issued certificate; False when the code is taken (draw another)."""
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
               seq = seq + 1, updated_at = now()
           WHERE id = $1 RETURNING seq""",
        certificate_id, *_issue_values(issue),
    )
    return seq


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
) -> int:
    """Change a certificate's status; return its new seq."""
    seq: int = await conn.fetchval(
        """UPDATE certificates SET status = $2, reason = $3, revocation_kind = $4,
               replaced_by = COALESCE($5, replaced_by), seq = seq + 1, updated_at = now()
           WHERE id = $1 RETURNING seq""",
        certificate_id, status, reason, revocation_kind, replaced_by,
    )
    return seq


async def next_serial(conn: Conn, key: CounterKey) -> int:
    """Draw the next serial of a counter (row-locked until the issuing transaction ends)."""
    serial: int = await conn.fetchval(
        """INSERT INTO number_counters (prefix, year, level, last_serial) VALUES ($1, $2, $3, 1)
           ON CONFLICT (prefix, year, level)
           DO UPDATE SET last_serial = number_counters.last_serial + 1
           RETURNING last_serial""",
        key.prefix, key.year, key.level,
    )
    return serial


async def next_status_index(conn: Conn) -> int:
    """Draw a global status-list index."""
    index: int = await conn.fetchval("SELECT nextval('status_index_seq')")
    return index


async def audit_and_draw_index(
    conn: Conn, certificate_id: UUID, action: str, *, actor_id: UUID | None, actor_role: str,
) -> int:
    """Append the issuing line to the history and draw a status index, in one round trip."""
    index: int = await conn.fetchval(
        """WITH audit AS (
               INSERT INTO certificate_audit (certificate_id, action, actor_id, actor_role)
               VALUES ($1, $2, $3, $4))
           SELECT nextval('status_index_seq')""",
        certificate_id, action, actor_id, actor_role,
    )
    return index


async def add_audit(
    conn: Conn, certificate_id: UUID, action: str, *, actor_id: UUID | None,
    actor_role: str, reason: str | None = None, details: dict[str, Any] | None = None,
) -> None:
    """Append one line to a certificate's history."""
    await conn.execute(
        """INSERT INTO certificate_audit (certificate_id, action, actor_id, actor_role, reason,
                                          details)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        certificate_id, action, actor_id, actor_role, reason, details or {},
    )


# --- signing keys -------------------------------------------------------------------------


async def load_keys(conn: Conn | asyncpg.Pool) -> list[asyncpg.Record]:
    """Return every signing key row, oldest first."""
    return list(await conn.fetch("SELECT * FROM signing_keys ORDER BY seq"))


async def insert_key(
    conn: Conn, *, kid: str, seq: int, public_jwk: dict[str, str],
    private_key_encrypted: str,
) -> None:
    """Store a new signing key."""
    await conn.execute(
        """INSERT INTO signing_keys (kid, seq, public_jwk, private_key_encrypted)
           VALUES ($1, $2, $3, $4)""",
        kid, seq, public_jwk, private_key_encrypted,
    )


async def retire_keys_before(conn: Conn, seq: int) -> int:
    """Retire every active key older than `seq`; return how many."""
    status = await conn.execute(
        "UPDATE signing_keys SET retired_at = now() WHERE seq < $1 AND retired_at IS NULL", seq
    )
    return int(status.split()[-1])


async def lock_keys(conn: Conn) -> None:
    """Serialise key creation between instances starting at once."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('certification.signing_keys'))")
