"""Surveys after a class: invitations, answers, the six-month follow-up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.db import Conn

# A survey with what its events carry (same column names as enrolment rows).
_SURVEY_ROW = """
SELECT s.id AS survey_id, s.enrollment_id, s.code, s.class_id, s.trainee_id,
       u.name AS trainee_name, u.phone AS trainee_phone, u.email AS trainee_email,
       u.locale AS trainee_locale,
       c.course_id, c.starts_on, c.ends_on, c.session_start, c.venue, c.online,
       co.code AS course_code, co.title_zh AS course_title_zh, co.title_en AS course_title_en
FROM surveys s
JOIN users u ON u.id = s.trainee_id
JOIN classes c ON c.id = s.class_id
JOIN courses co ON co.id = c.course_id
"""


async def uninvited(conn: Conn, limit: int) -> list[asyncpg.Record]:
    """Return completed enrolments without a survey yet (oldest first)."""
    return await conn.fetch(
        """SELECT e.id, e.class_id, e.trainee_id, e.updated_at FROM enrollments e
           WHERE e.status = 'completed'
             AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.enrollment_id = e.id)
           ORDER BY e.updated_at LIMIT $1""",
        limit,
    )


async def insert_invitations(
    conn: Conn, *, ids: Sequence[UUID], enrollment_ids: Sequence[UUID],
    class_ids: Sequence[UUID], trainee_ids: Sequence[UUID], codes: Sequence[str],
    due: Sequence[datetime], now: datetime,
) -> list[UUID]:
    """Record invitations; an enrolment invited already (another instance) is skipped.
    Return the ids of the surveys recorded here."""
    rows = await conn.fetch(
        """INSERT INTO surveys (id, enrollment_id, class_id, trainee_id, code, invited_at,
                                followup_due_at)
           SELECT t.i, t.e, t.c, t.tr, t.co, $6, t.d
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                       $7::timestamptz[]) AS t(i, e, c, tr, co, d)
           ON CONFLICT DO NOTHING RETURNING id""",
        list(ids), list(enrollment_ids), list(class_ids), list(trainee_ids), list(codes), now,
        list(due),
    )
    return [r["id"] for r in rows]


async def claim_followups(conn: Conn, now: datetime, limit: int) -> list[UUID]:
    """Mark due follow-ups sent (skipping rows another instance holds); return their ids."""
    rows = await conn.fetch(
        """UPDATE surveys SET followup_sent_at = $1 WHERE id IN (
               SELECT id FROM surveys WHERE followup_sent_at IS NULL AND followup_due_at <= $1
               ORDER BY followup_due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING id""",
        now, limit,
    )
    return [r["id"] for r in rows]


async def event_rows(conn: Conn, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Return surveys with what their events carry."""
    return await conn.fetch(_SURVEY_ROW + " WHERE s.id = ANY($1::uuid[])", list(ids))


async def by_code(conn: Conn, code: str, *, lock: bool = False) -> asyncpg.Record | None:
    """Return a survey by its code (locked for an answer with `lock`)."""
    return await conn.fetchrow(
        """SELECT s.*, co.title_zh AS course_title_zh, co.title_en AS course_title_en,
                  c.starts_on, c.ends_on
           FROM surveys s JOIN classes c ON c.id = s.class_id
           JOIN courses co ON co.id = c.course_id WHERE s.code = $1"""
        + (" FOR UPDATE OF s" if lock else ""),
        code,
    )


async def save_answer(conn: Conn, survey_id: UUID, answer: dict[str, Any], now: datetime) -> None:
    """Store the answer of a (locked) survey."""
    await conn.execute(
        """UPDATE surveys SET content = $2, trainer = $3, venue = $4, usefulness = $5,
                  recommend = $6, comment = $7, answered_at = $8 WHERE id = $1""",
        survey_id, answer["content"], answer["trainer"], answer["venue"],
        answer["usefulness"], answer["recommend"], answer["comment"], now,
    )


async def save_employment(conn: Conn, survey_id: UUID, working: bool, now: datetime) -> None:
    """Store the follow-up answer of a (locked) survey."""
    await conn.execute(
        "UPDATE surveys SET working_in_occupation = $2, followup_answered_at = $3 WHERE id = $1",
        survey_id, working, now,
    )
