"""Released results as they arrive (the newest version of each enrolment's)."""

from __future__ import annotations

from uuid import UUID

from shared.db import Conn
from shared.events.catalog import EnrollmentCompleted

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


async def lock_result(conn: Conn, enrollment_id: UUID) -> EnrollmentCompleted | None:
    """Return the latest result of an enrolment, locked for this transaction."""
    payload = await conn.fetchval(
        "SELECT payload FROM results WHERE enrollment_id = $1 FOR UPDATE", enrollment_id
    )
    return EnrollmentCompleted.model_validate(payload) if payload is not None else None


async def current_result(conn: Conn, enrollment_id: UUID) -> EnrollmentCompleted | None:
    """Return the latest result of an enrolment without locking it.

    For a check under the certificate's lock: a newer result waits for that lock anyway
    (`record_result` locks the result, then the certificate), so locking here could deadlock."""
    payload = await conn.fetchval("SELECT payload FROM results WHERE enrollment_id = $1",
                                  enrollment_id)
    return EnrollmentCompleted.model_validate(payload) if payload is not None else None
