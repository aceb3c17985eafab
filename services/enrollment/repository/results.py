"""Attendance marks, scores and released results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from shared.db import Conn


async def enrollments_in_class(
    conn: Conn, class_id: UUID, ids: Sequence[UUID]
) -> dict[UUID, str]:
    """Return the status of each of these enrolments that belongs to the class."""
    rows = await conn.fetch(
        "SELECT id, status FROM enrollments WHERE class_id = $1 AND id = ANY($2::uuid[])",
        class_id, list(ids),
    )
    return {r["id"]: r["status"] for r in rows}


async def upsert_attendance(
    conn: Conn, day: date, marks: Sequence[tuple[UUID, str]],
    *, marked_by: UUID | None, now: datetime,
) -> None:
    """Write one day's marks (a later mark replaces an earlier one)."""
    await conn.execute(
        """INSERT INTO attendance (enrollment_id, class_day, status, marked_by, marked_at)
           SELECT e, $2, s, $3, $4 FROM unnest($1::uuid[], $5::text[]) AS t(e, s)
           ON CONFLICT (enrollment_id, class_day)
           DO UPDATE SET status = EXCLUDED.status, marked_by = EXCLUDED.marked_by,
                         marked_at = EXCLUDED.marked_at""",
        [m[0] for m in marks], day, marked_by, now, [m[1] for m in marks],
    )


async def class_marks(conn: Conn, class_id: UUID) -> dict[UUID, dict[date, str]]:
    """Return every attendance mark of a class, per enrolment."""
    rows = await conn.fetch(
        """SELECT a.enrollment_id, a.class_day, a.status FROM attendance a
           JOIN enrollments e ON e.id = a.enrollment_id WHERE e.class_id = $1""",
        class_id,
    )
    marks: dict[UUID, dict[date, str]] = {}
    for r in rows:
        marks.setdefault(r["enrollment_id"], {})[r["class_day"]] = r["status"]
    return marks


async def set_scores(
    conn: Conn, enrollment_id: UUID, *, theory: float | None,
    practical: float | None, now: datetime, by: UUID,
) -> None:
    """Write a trainee's scores and who entered them."""
    await conn.execute(
        "UPDATE enrollments SET theory_score = $2, practical_score = $3, updated_at = $4, "
        "scored_by = $5 WHERE id = $1",
        enrollment_id, theory, practical, now, by,
    )


async def record_result(
    conn: Conn, enrollment_id: UUID, *, passed: bool, version: int,
    fingerprint: str, now: datetime,
) -> None:
    """Remember what was released for an enrolment."""
    await conn.execute(
        """UPDATE enrollments SET passed = $2, result_version = $3, result_fingerprint = $4,
                  released_at = $5 WHERE id = $1""",
        enrollment_id, passed, version, fingerprint, now,
    )


def as_decimal(value: object) -> Decimal | None:
    """Return a numeric column as Decimal (None stays None)."""
    return None if value is None else Decimal(str(value))
