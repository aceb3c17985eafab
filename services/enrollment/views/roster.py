"""A class's roster with attendance, scores, certificates and reachability; dashboard figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from services.enrollment.domain.results import attendance_rate, hours_attended
from services.enrollment.views.enrollments import CERTIFICATE, WAITLIST_POSITION
from services.enrollment.views.models import RosterEntry, RosterOut, StatsOut
from shared.db import Conn
from shared.masking import mask_phone

_ROSTER = f"""
SELECT e.id, e.trainee_id, e.status, e.offer_expires_at, e.theory_score, e.practical_score,
       e.passed, e.result_version, {WAITLIST_POSITION} AS waitlist_position,
       u.name, u.phone, u.id_type, u.id_number_masked, u.id_number_encrypted,
       cert.number AS certificate_number, cert.status AS certificate_status,
       reach.delivered, reach.reason AS unreachable_reason,
       coalesce((SELECT jsonb_object_agg(a.class_day, a.status) FROM attendance a
                 WHERE a.enrollment_id = e.id), '{{}}'::jsonb) AS marks
FROM enrollments e
JOIN users u ON u.id = e.trainee_id
{CERTIFICATE}
LEFT JOIN LATERAL (
    SELECT bool_or(r.delivered) AS delivered,
           (array_agg(r.reason ORDER BY r.occurred_at DESC)
               FILTER (WHERE NOT r.delivered))[1] AS reason
    FROM reachability r WHERE r.user_id = e.trainee_id
) reach ON true
WHERE e.class_id = $1 AND e.status <> 'cancelled'
ORDER BY (e.status = 'waitlisted'), e.booking_no
"""


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One roster line with the fields the CSV export adds (ID data for authorities)."""

    entry: RosterEntry
    phone: str
    id_type: str | None
    id_number_masked: str | None
    id_number_encrypted: str | None


@dataclass(frozen=True, slots=True)
class Roster:
    """The roster plus what the export needs."""

    out: RosterOut
    rows: list[RosterRow]


def _score(value: object) -> float | None:
    return None if value is None else float(str(value))


async def class_roster(conn: Conn | asyncpg.Pool, class_id: UUID) -> Roster | None:
    """Return a class's roster: seat holders first (booking order), then the waitlist."""
    cls = await conn.fetchrow(
        """SELECT c.class_days, c.hours_per_day, c.capacity, c.seats_taken, c.waitlist_length,
                  coalesce(c.attendance_threshold, co.attendance_threshold) AS threshold
           FROM classes c JOIN courses co ON co.id = c.course_id WHERE c.id = $1""",
        class_id,
    )
    if cls is None:
        return None
    days: list[date] = list(cls["class_days"])
    rows = await conn.fetch(_ROSTER, class_id)
    out_rows = [_row(r, days, cls["hours_per_day"], cls["threshold"]) for r in rows]
    out = RosterOut(
        class_id=class_id, schedule_days=days, capacity=cls["capacity"],
        seats_left=max(0, cls["capacity"] - cls["seats_taken"]),
        waitlist_length=cls["waitlist_length"], items=[r.entry for r in out_rows],
    )
    return Roster(out=out, rows=out_rows)


def _row(r: asyncpg.Record, days: list[date], per_day: Decimal, threshold: Decimal) -> RosterRow:
    marks = {date.fromisoformat(k): v for k, v in r["marks"].items()}
    rate = attendance_rate(marks, days=len(days))
    entry = RosterEntry(
        enrollment_id=r["id"], trainee_id=r["trainee_id"], name=r["name"],
        phone_masked=mask_phone(r["phone"]), status=r["status"],
        waitlist_position=r["waitlist_position"], offer_expires_at=r["offer_expires_at"],
        attendance=dict(sorted(marks.items())),
        hours_attended=float(hours_attended(marks, hours_per_day=per_day)),
        attendance_rate=round(float(rate), 4), exam_eligible=rate >= threshold,
        theory_score=_score(r["theory_score"]), practical_score=_score(r["practical_score"]),
        passed=r["passed"], result_version=r["result_version"],
        certificate_number=r["certificate_number"], certificate_status=r["certificate_status"],
        reachable=r["delivered"], unreachable_reason=r["unreachable_reason"],
    )
    return RosterRow(entry, r["phone"], r["id_type"], r["id_number_masked"],
                     r["id_number_encrypted"])


async def dashboard(
    conn: Conn | asyncpg.Pool, *, today: date, day_start: datetime,
    day_end: datetime, now: datetime,
) -> StatsOut:
    """Return today's enrolment figures and the seats of classes still to run."""
    row = await conn.fetchrow(
        """SELECT
             (SELECT count(*) FROM enrollments WHERE created_at >= $1 AND created_at < $2)
                AS enrolments_today,
             (SELECT count(*) FROM enrollment_history
                WHERE at >= $1 AND at < $2 AND to_status = 'confirmed'
                  AND from_status IS DISTINCT FROM 'confirmed') AS confirmed_today,
             (SELECT count(*) FROM enrollment_history
                WHERE at >= $1 AND at < $2 AND to_status = 'waitlisted' AND from_status IS NULL)
                AS waitlisted_today,
             (SELECT count(*) FROM enrollment_history
                WHERE at >= $1 AND at < $2 AND to_status = 'cancelled') AS cancellations_today,
             (SELECT coalesce(sum(capacity), 0) FROM classes
                WHERE status = 'scheduled' AND results_released_at IS NULL) AS seats_capacity,
             (SELECT coalesce(sum(seats_taken), 0) FROM classes
                WHERE status = 'scheduled' AND results_released_at IS NULL) AS seats_filled,
             (SELECT coalesce(sum(waitlist_length), 0) FROM classes WHERE status = 'scheduled')
                AS waitlisted_total,
             (SELECT count(*) FROM classes WHERE status = 'scheduled'
                AND results_released_at IS NULL
                AND enroll_opens_at <= $3 AND $3 < enroll_closes_at) AS classes_open,
             (SELECT count(*) FROM classes WHERE status = 'scheduled'
                AND starts_on >= $4) AS classes_upcoming,
             (SELECT count(*) FROM users WHERE role = 'trainee') AS trainees""",
        day_start, day_end, now, today,
    )
    assert row is not None
    return StatsOut(**{k: int(v) for k, v in dict(row).items()})
