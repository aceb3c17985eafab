"""Attendance marks, scores and released results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from shared.db import Conn

AuthorPart = Literal["scores", "attendance"]


@dataclass
class Authors:
    """Who entered an enrolment's scores and who marked its attendance, first come first."""

    scorers: list[UUID] = field(default_factory=list)
    attendance_markers: list[UUID] = field(default_factory=list)

    def add(self, part: AuthorPart, author_id: UUID) -> None:
        """Add one person's part."""
        (self.scorers if part == "scores" else self.attendance_markers).append(author_id)


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
    """Write one day's marks (a later mark replaces an earlier one).

    A sheet is saved whole: only a new or changed mark is written and makes the saver one of
    its authors (who may then not approve the certificate); the others keep their marker.
    """
    changed = await conn.fetch(
        """INSERT INTO attendance (enrollment_id, class_day, status, marked_by, marked_at)
           SELECT e, $2, s, $3, $4 FROM unnest($1::uuid[], $5::text[]) AS t(e, s)
           ON CONFLICT (enrollment_id, class_day)
           DO UPDATE SET status = EXCLUDED.status, marked_by = EXCLUDED.marked_by,
                         marked_at = EXCLUDED.marked_at
           WHERE attendance.status IS DISTINCT FROM EXCLUDED.status
           RETURNING enrollment_id""",
        [m[0] for m in marks], day, marked_by, now, [m[1] for m in marks],
    )
    if marked_by is not None and changed:
        await add_author(conn, [r["enrollment_id"] for r in changed], "attendance", marked_by,
                         now=now)


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
    """Write a trainee's scores and who entered them; the same scores again change nothing."""
    changed = await conn.fetchval(
        "UPDATE enrollments SET theory_score = $2, practical_score = $3, updated_at = $4, "
        "scored_by = $5 WHERE id = $1 AND (theory_score, practical_score) "
        "IS DISTINCT FROM ($2::numeric, $3::numeric) RETURNING id",
        enrollment_id, theory, practical, now, by,
    )
    if changed is not None:
        await add_author(conn, [enrollment_id], "scores", by, now=now)


async def add_author(
    conn: Conn, enrollment_ids: Sequence[UUID], part: AuthorPart, author_id: UUID, *,
    now: datetime,
) -> None:
    """Remember that a person entered scores or marked attendance of these enrolments."""
    await conn.execute(
        """INSERT INTO result_authors (enrollment_id, part, author_id, first_at)
           SELECT unnest($1::uuid[]), $2, $3, $4 ON CONFLICT DO NOTHING""",
        list(enrollment_ids), part, author_id, now,
    )


async def authors(conn: Conn, enrollment_ids: Sequence[UUID]) -> dict[UUID, Authors]:
    """Return who entered scores and who marked attendance of each of these enrolments.

    The record of authors, joined with who the rows themselves name (the last scorer, each
    day's marker, each check-in's recorder): work done through a process of the release
    before (during a rolling upgrade), which wrote no author rows, still counts.
    """
    rows = await conn.fetch(
        """WITH known AS (
               SELECT enrollment_id, part, author_id, first_at FROM result_authors
               WHERE enrollment_id = ANY($1::uuid[])
               UNION ALL
               SELECT id, 'scores', scored_by, updated_at FROM enrollments
               WHERE id = ANY($1::uuid[]) AND scored_by IS NOT NULL
               UNION ALL
               SELECT enrollment_id, 'attendance', marked_by, marked_at FROM attendance
               WHERE enrollment_id = ANY($1::uuid[]) AND marked_by IS NOT NULL
               UNION ALL
               SELECT enrollment_id, 'attendance', actor_id, at FROM checkin_audit
               WHERE enrollment_id = ANY($1::uuid[]) AND actor_id IS NOT NULL)
           SELECT enrollment_id, part, author_id, min(first_at) AS first_at FROM known
           GROUP BY enrollment_id, part, author_id ORDER BY first_at, author_id""",
        list(enrollment_ids),
    )
    found: dict[UUID, Authors] = {}
    for r in rows:
        found.setdefault(r["enrollment_id"], Authors()).add(r["part"], r["author_id"])
    return found


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
