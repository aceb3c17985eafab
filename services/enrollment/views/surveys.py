"""Read side of surveys: one's own, results per class and per trainer, their CSV."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.enrollment.domain.survey import QUESTIONS
from services.enrollment.views.models.fair import (
    MySurvey,
    MySurveyList,
    SurveyResults,
    SurveyRow,
)
from services.enrollment.views.roster_export import write_csv

_AVERAGES = ", ".join(f"round(avg(s.{q})::numeric, 2)::float AS {q}" for q, _, _ in QUESTIONS)
_EMPLOYMENT = """count(s.followup_answered_at) AS followup_answers,
    count(*) FILTER (WHERE s.working_in_occupation) AS working_in_occupation"""


async def mine(pool: asyncpg.Pool, trainee_id: UUID) -> MySurveyList:
    """Return the caller's surveys (codes included: they are the caller's own)."""
    rows = await pool.fetch(
        """SELECT s.enrollment_id, s.class_id, s.code, s.answered_at, s.followup_sent_at,
                  s.followup_answered_at, co.title_zh AS course_title_zh,
                  co.title_en AS course_title_en
           FROM surveys s JOIN classes c ON c.id = s.class_id
           JOIN courses co ON co.id = c.course_id
           WHERE s.trainee_id = $1 ORDER BY s.invited_at DESC""",
        trainee_id,
    )
    return MySurveyList(items=[MySurvey(
        enrollment_id=r["enrollment_id"], class_id=r["class_id"], code=r["code"],
        answered=r["answered_at"] is not None,
        followup_open=r["followup_sent_at"] is not None and r["followup_answered_at"] is None,
        course_title_zh=r["course_title_zh"], course_title_en=r["course_title_en"])
        for r in rows])


def _row(r: asyncpg.Record, key: str, label: str) -> SurveyRow:
    return SurveyRow(key=r[key], label=r[label] or "", answers=r["answers"], invited=r["invited"],
                     averages={q: r[q] for q, _, _ in QUESTIONS},
                     followup_answers=r["followup_answers"],
                     working_in_occupation=r["working_in_occupation"])


async def by_class(pool: asyncpg.Pool, class_id: UUID) -> SurveyResults:
    """Return a class's averages, answer count and comments."""
    row = await pool.fetchrow(
        f"""SELECT c.id::text AS key, coalesce(nullif(c.name, ''), co.title_zh) AS label,
                   count(s.answered_at) AS answers, count(s.id) AS invited, {_AVERAGES},
                   {_EMPLOYMENT}
            FROM classes c JOIN courses co ON co.id = c.course_id
            LEFT JOIN surveys s ON s.class_id = c.id
            WHERE c.id = $1 GROUP BY c.id, co.title_zh""",
        class_id,
    )
    comments = await pool.fetch(
        "SELECT comment FROM surveys WHERE class_id = $1 AND comment <> '' "
        "ORDER BY answered_at", class_id)
    rows = [_row(row, "key", "label")] if row else []
    return SurveyResults(by="class", rows=rows, comments=[c["comment"] for c in comments])


async def by_trainer(pool: asyncpg.Pool) -> SurveyResults:
    """Return every trainer's averages over the classes they taught (each answer counts for
    every trainer of its class)."""
    rows = await pool.fetch(
        f"""SELECT t.id::text AS key, t.name AS label,
                   count(s.answered_at) AS answers, count(s.id) AS invited, {_AVERAGES},
                   {_EMPLOYMENT}
            FROM surveys s JOIN classes c ON c.id = s.class_id
            CROSS JOIN LATERAL unnest(c.trainer_ids) AS tr(id)
            JOIN users t ON t.id = tr.id
            GROUP BY t.id, t.name ORDER BY t.name, t.id""",
    )
    return SurveyResults(by="trainer", rows=[_row(r, "key", "label") for r in rows])


def results_csv(results: SurveyResults) -> bytes:
    """Return results as CSV (UTF-8 with BOM), one line per class or trainer."""
    header = ["班次" if results.by == "class" else "培训师", "编号", "已邀请", "已回答",
              *(zh for _, zh, _ in QUESTIONS), "就业回访回答", "从事该职业"]
    lines = [[r.label, r.key, r.invited, r.answers,
              *(r.averages[q] for q, _, _ in QUESTIONS), r.followup_answers,
              r.working_in_occupation] for r in results.rows]
    return write_csv(header, lines)
