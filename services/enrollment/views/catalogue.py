"""Courses and classes as the catalogue shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.enrollment.domain.enrollment import ClassWindow, is_open
from services.enrollment.domain.schedule import level_label
from services.enrollment.views.cursor import decode_cursor, encode_cursor
from services.enrollment.views.models import (
    ClassList,
    ClassOut,
    ClassQuery,
    CourseBrief,
    CourseList,
    CourseOut,
    CourseQuery,
    TrainerRef,
)
from shared.db import Conn
from shared.errors import ValidationFailed

_CLASS_SELECT = """
SELECT c.*, co.code AS course_code, co.title_zh AS course_title_zh,
       co.title_en AS course_title_en, co.category AS course_category, co.level AS course_level,
       co.attendance_threshold AS course_threshold,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', u.id, 'name', u.name)
                                  ORDER BY u.name), '[]'::jsonb)
        FROM users u WHERE u.id = ANY(c.trainer_ids)) AS trainers
FROM classes c JOIN courses co ON co.id = c.course_id
"""


def like_pattern(text: str) -> str:
    """Return an ILIKE pattern matching `text` literally anywhere."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def course_out(r: asyncpg.Record) -> CourseOut:
    """Map a course row."""
    return CourseOut(
        id=r["id"], code=r["code"], title_zh=r["title_zh"], title_en=r["title_en"],
        category=r["category"], occupation_code=r["occupation_code"],
        occupation_name=r["occupation_name"], work_type=r["work_type"], level=r["level"],
        level_label=level_label(r["level"]),
        certificate_kind="skill_level" if r["level"] is not None else "training",
        required_hours=float(r["required_hours"]), theory_pass=float(r["theory_pass"]),
        practical_pass=float(r["practical_pass"]),
        certificate_validity_months=r["certificate_validity_months"],
        issue_policy=r["issue_policy"], attendance_threshold=float(r["attendance_threshold"]),
        description=r["description"], move_cutoff_days=r["move_cutoff_days"],
    )


async def get_course(conn: Conn | asyncpg.Pool, course_id: UUID) -> CourseOut | None:
    """Return one course."""
    row = await conn.fetchrow("SELECT * FROM courses WHERE id = $1", course_id)
    return course_out(row) if row else None


async def list_courses(conn: Conn | asyncpg.Pool, query: CourseQuery) -> CourseList:
    """Return a page of courses in creation order, filtered by category and text."""
    after = _uuid_cursor(query.cursor)
    rows = await conn.fetch(
        """SELECT * FROM courses
           WHERE ($1::text IS NULL OR category = $1)
             AND ($2::text IS NULL OR code ILIKE $2 OR title_zh ILIKE $2 OR title_en ILIKE $2
                  OR occupation_name ILIKE $2)
             AND ($3::uuid IS NULL OR id > $3)
           ORDER BY id LIMIT $4""",
        query.category, like_pattern(query.q) if query.q else None, after, query.limit + 1,
    )
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return CourseList(
        items=[course_out(r) for r in page],
        next_cursor=encode_cursor(page[-1]["id"]) if more else None,
    )


def class_out(r: asyncpg.Record, now: datetime) -> ClassOut:
    """Map a class row (with its course columns) for a reader at `now`."""
    window = ClassWindow(
        status=r["status"], enroll_opens_at=r["enroll_opens_at"],
        enroll_closes_at=r["enroll_closes_at"], union_members_only=r["union_members_only"],
        results_released=r["results_released_at"] is not None,
    )
    threshold = r["attendance_threshold"]
    if threshold is None:
        threshold = r["course_threshold"]
    days: list[date] = list(r["class_days"])
    return ClassOut(
        id=r["id"], course_id=r["course_id"], course=_course_brief(r), name=r["name"],
        trainer_ids=list(r["trainer_ids"]),
        trainers=[TrainerRef(id=UUID(t["id"]), name=t["name"]) for t in r["trainers"]],
        starts_on=r["starts_on"], ends_on=r["ends_on"], schedule_days=days,
        session_start=r["session_start"], hours_per_day=float(r["hours_per_day"]),
        total_hours=float(r["hours_per_day"]) * len(days), venue=r["venue"], online=r["online"],
        capacity=r["capacity"], seats_left=max(0, r["capacity"] - r["seats_taken"]),
        waitlist_length=r["waitlist_length"], enroll_opens_at=r["enroll_opens_at"],
        enroll_closes_at=r["enroll_closes_at"], open_for_enrolment=is_open(window, now),
        waitlist_policy=r["waitlist_policy"], offer_hours=r["offer_hours"],
        union_members_only=r["union_members_only"], attendance_threshold=float(threshold),
        status=r["status"], cancel_reason=r["cancel_reason"],
        results_released_at=r["results_released_at"],
    )


def _course_brief(r: asyncpg.Record) -> CourseBrief:
    return CourseBrief(
        id=r["course_id"], code=r["course_code"], title_zh=r["course_title_zh"],
        title_en=r["course_title_en"], category=r["course_category"], level=r["course_level"],
        level_label=level_label(r["course_level"]),
    )


async def get_class(
    conn: Conn | asyncpg.Pool, class_id: UUID, now: datetime
) -> ClassOut | None:
    """Return one class with seats left and waitlist length."""
    row = await conn.fetchrow(_CLASS_SELECT + " WHERE c.id = $1", class_id)
    return class_out(row, now) if row else None


# Open now, written out when asked for, so that the planner may walk the classes_enrolling_by_start
# index (migration 0050) instead of every class in start order.
_OPEN_NOW = """$6::boolean AND c.status = 'scheduled' AND c.results_released_at IS NULL
             AND c.enroll_opens_at <= $7 AND $7 < c.enroll_closes_at"""
# The catalogue's first screen: the page's ids read from that index alone (index-only), then
# the page's rows; the open classes of all courses are never fetched from the table.
OPEN_PAGE_SQL = _CLASS_SELECT + """
WHERE c.id IN (
    SELECT id FROM classes
    WHERE status = 'scheduled' AND results_released_at IS NULL
      AND enroll_opens_at <= $3 AND $3 < enroll_closes_at
      AND ($1::uuid IS NULL OR course_id = $1) AND ($2::text IS NULL OR category = $2)
      AND ($4::date IS NULL OR (starts_on, id) > ($4, $5::uuid))
    ORDER BY starts_on, id LIMIT $6)
ORDER BY c.starts_on, c.id"""
_OPEN_OR_NOT = """($6::boolean IS NULL OR $6 = (c.status = 'scheduled'
                  AND c.results_released_at IS NULL
                  AND c.enroll_opens_at <= $7 AND $7 < c.enroll_closes_at))"""


async def list_classes(
    conn: Conn | asyncpg.Pool, query: ClassQuery, now: datetime
) -> ClassList:
    """Return a page of classes by start date, filtered."""
    after_day, after_id = _class_cursor(query.cursor)
    if query.open and query.q is None and query.trainer_id is None and not query.include_cancelled:
        rows = await conn.fetch(OPEN_PAGE_SQL, query.course_id, query.category, now, after_day,
                                after_id, query.limit + 1)
        return _class_page(rows, query.limit, now)
    params: list[Any] = [
        query.course_id, query.category, like_pattern(query.q) if query.q else None,
        query.trainer_id, query.include_cancelled, query.open, now, after_day, after_id,
        query.limit + 1,
    ]
    rows = await conn.fetch(
        _CLASS_SELECT
        + """WHERE ($1::uuid IS NULL OR c.course_id = $1)
             AND ($2::text IS NULL OR c.category = $2)
             AND ($3::text IS NULL OR co.title_zh ILIKE $3 OR co.title_en ILIKE $3
                  OR co.code ILIKE $3 OR c.name ILIKE $3 OR c.venue ILIKE $3)
             AND ($4::uuid IS NULL OR $4 = ANY(c.trainer_ids))
             AND ($5 OR c.status = 'scheduled')
             AND """ + (_OPEN_NOW if query.open else _OPEN_OR_NOT) + """
             AND ($8::date IS NULL OR (c.starts_on, c.id) > ($8, $9::uuid))
           ORDER BY c.starts_on, c.id LIMIT $10""",
        *params,
    )
    return _class_page(rows, query.limit, now)


def _class_page(rows: list[asyncpg.Record], limit: int, now: datetime) -> ClassList:
    page = rows[:limit]
    more = len(rows) > limit
    return ClassList(
        items=[class_out(r, now) for r in page],
        next_cursor=encode_cursor(page[-1]["starts_on"], page[-1]["id"]) if more else None,
    )


def _uuid_cursor(cursor: str | None) -> UUID | None:
    if cursor is None:
        return None
    try:
        return UUID(decode_cursor(cursor, 1)[0])
    except ValueError:
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None


def _class_cursor(cursor: str | None) -> tuple[date | None, UUID | None]:
    if cursor is None:
        return None, None
    day, ident = decode_cursor(cursor, 2)
    try:
        return date.fromisoformat(day), UUID(ident)
    except ValueError:
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None
