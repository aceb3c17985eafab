"""Enrolments as their trainee sees them: class, waitlist place, offer, result, history."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from services.enrollment.domain.schedule import level_label
from services.enrollment.views.models import (
    ClassBrief,
    CourseBrief,
    EnrolmentDetail,
    EnrolmentList,
    HistoryEntry,
    ResultOut,
)
from shared.db import Conn

# A waitlisted enrolment's place: how many live waitlist entries booked before it, plus one.
WAITLIST_POSITION = """
CASE WHEN e.status = 'waitlisted' THEN (
    SELECT count(*) FROM enrollments w
    WHERE w.class_id = e.class_id AND w.status = 'waitlisted' AND w.booking_no <= e.booking_no)
END"""

# The current certificate of an enrolment: a valid one first, then the latest issued (issued_at
# is the event's time: two certificates may share an issue date); the id breaks any tie.
CERTIFICATE = """
LEFT JOIN LATERAL (
    SELECT number, status FROM certificates ct WHERE ct.enrollment_id = e.id
    ORDER BY (ct.status = 'valid') DESC, ct.issued_at DESC NULLS LAST, ct.issued_on DESC,
             ct.seq DESC, ct.certificate_id DESC
    LIMIT 1
) cert ON true"""

_DETAIL = f"""
SELECT e.*, {WAITLIST_POSITION} AS waitlist_position,
       c.name AS class_name, c.starts_on, c.ends_on, c.class_days, c.session_start, c.venue,
       c.online, c.status AS class_status, c.course_id,
       co.code AS course_code, co.title_zh AS course_title_zh, co.title_en AS course_title_en,
       co.category AS course_category, co.level AS course_level,
       cert.number AS certificate_number, cert.status AS certificate_status
FROM enrollments e
JOIN classes c ON c.id = e.class_id
JOIN courses co ON co.id = c.course_id
{CERTIFICATE}
"""


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def _detail(r: asyncpg.Record, history: list[HistoryEntry]) -> EnrolmentDetail:
    course = CourseBrief(
        id=r["course_id"], code=r["course_code"], title_zh=r["course_title_zh"],
        title_en=r["course_title_en"], category=r["course_category"], level=r["course_level"],
        level_label=level_label(r["course_level"]),
    )
    return EnrolmentDetail(
        id=r["id"], class_id=r["class_id"], trainee_id=r["trainee_id"], status=r["status"],
        waitlist_position=r["waitlist_position"], offer_expires_at=r["offer_expires_at"],
        cancel_reason=r["cancel_reason"], via=r["via"], created_at=r["created_at"],
        class_info=ClassBrief(
            id=r["class_id"], name=r["class_name"], course=course, starts_on=r["starts_on"],
            ends_on=r["ends_on"], schedule_days=list(r["class_days"]),
            session_start=r["session_start"], venue=r["venue"], online=r["online"],
            status=r["class_status"],
        ),
        result=ResultOut(
            theory_score=_float(r["theory_score"]), practical_score=_float(r["practical_score"]),
            passed=r["passed"], result_version=r["result_version"], released_at=r["released_at"],
        ),
        certificate_number=r["certificate_number"],
        certificate_status=r["certificate_status"],
        history=history,
    )


async def _histories(
    conn: Conn | asyncpg.Pool, ids: list[UUID]
) -> dict[UUID, list[HistoryEntry]]:
    rows = await conn.fetch(
        "SELECT * FROM enrollment_history WHERE enrollment_id = ANY($1::uuid[]) "
        "ORDER BY enrollment_id, seq",
        ids,
    )
    out: dict[UUID, list[HistoryEntry]] = {i: [] for i in ids}
    for h in rows:
        out[h["enrollment_id"]].append(
            HistoryEntry(
                seq=h["seq"], event_type=h["event_type"], from_status=h["from_status"],
                to_status=h["to_status"], actor_role=h["actor_role"], reason=h["reason"],
                at=h["at"],
            )
        )
    return out


async def get_enrollment(
    conn: Conn | asyncpg.Pool, enrollment_id: UUID
) -> EnrolmentDetail | None:
    """Return one enrolment as it stands now."""
    row = await conn.fetchrow(_DETAIL + " WHERE e.id = $1", enrollment_id)
    if row is None:
        return None
    return _detail(row, (await _histories(conn, [enrollment_id]))[enrollment_id])


async def trainee_enrollments(
    conn: Conn | asyncpg.Pool, trainee_id: UUID
) -> EnrolmentList:
    """Return a trainee's enrolments, newest first."""
    rows = await conn.fetch(
        _DETAIL + " WHERE e.trainee_id = $1 ORDER BY e.created_at DESC LIMIT 500", trainee_id
    )
    histories = await _histories(conn, [r["id"] for r in rows])
    return EnrolmentList(items=[_detail(r, histories[r["id"]]) for r in rows])


async def enrollment_owner(
    conn: Conn | asyncpg.Pool, enrollment_id: UUID
) -> asyncpg.Record | None:
    """Return who an enrolment belongs to and its class's trainers (for access checks)."""
    return await conn.fetchrow(
        """SELECT e.trainee_id, e.class_id, c.trainer_ids FROM enrollments e
           JOIN classes c ON c.id = e.class_id WHERE e.id = $1""",
        enrollment_id,
    )
