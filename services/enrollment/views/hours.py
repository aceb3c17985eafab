"""Read what a class's hours are computed from: sessions, check-ins, day ticks, the course."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from services.enrollment.domain.checkin import Attendance
from services.enrollment.domain.hours import TraineeHours, required_minutes, trainee_hours
from services.enrollment.domain.sessions import Session, planned_minutes, sessions_of
from services.enrollment.repository import sessions as session_repo
from shared.db import Conn

States = dict[tuple[date, int], Attendance]


@dataclass(frozen=True)
class ClassEvidence:
    """A class's sessions, every enrolment's check-ins and day ticks, the course's minimum."""

    sessions: list[Session]
    required_hours: Decimal
    min_ratio: Decimal
    states: dict[UUID, States] = field(default_factory=dict)
    ticks: dict[UUID, dict[date, str]] = field(default_factory=dict)

    @property
    def has_checkins(self) -> bool:
        """Tell whether the class takes attendance by check-in (any recorded)."""
        return any(s.checked_in_at or s.checked_out_at
                   for per in self.states.values() for s in per.values())

    @property
    def required(self) -> int:
        """Return the minutes a trainee's attendance is measured against."""
        return required_minutes(self.required_hours, planned_minutes(self.sessions))

    def hours_of(self, enrollment_id: UUID, *, tz: str) -> TraineeHours:
        """Return one enrolment's hours."""
        return trainee_hours(self.sessions, self.states.get(enrollment_id, {}), tz=tz,
                             ticks=self.ticks.get(enrollment_id))

    def days_with_checkins(self) -> set[date]:
        """Return the class days on which anybody checked in."""
        return {day for per in self.states.values() for (day, _), s in per.items()
                if s.checked_in_at}


async def class_evidence(conn: Conn, class_id: UUID) -> ClassEvidence | None:
    """Return what a class's hours are computed from, or None when there is no such class."""
    cls = await conn.fetchrow(
        """SELECT c.class_days, co.required_hours, co.min_attendance_ratio
           FROM classes c JOIN courses co ON co.id = c.course_id WHERE c.id = $1""", class_id)
    if cls is None:
        return None
    sessions = sessions_of(cls["class_days"], await session_repo.stored_times(conn, class_id))
    evidence = ClassEvidence(sessions, cls["required_hours"], cls["min_attendance_ratio"])
    for r in await conn.fetch(
            """SELECT enrollment_id, class_day, session_no, checked_in_at, checked_out_at,
                      in_source, out_source, shared_device, confirmed_to_end
               FROM checkins WHERE class_id = $1""", class_id):
        evidence.states.setdefault(r["enrollment_id"], {})[(r["class_day"], r["session_no"])] = \
            Attendance(r["checked_in_at"], r["checked_out_at"], r["in_source"], r["out_source"],
                       r["shared_device"], r["confirmed_to_end"])
    for r in await conn.fetch(
            """SELECT a.enrollment_id, a.class_day, a.status FROM attendance a
               JOIN enrollments e ON e.id = a.enrollment_id WHERE e.class_id = $1""", class_id):
        evidence.ticks.setdefault(r["enrollment_id"], {})[r["class_day"]] = r["status"]
    return evidence


async def roster_people(conn: Conn, class_id: UUID) -> list[tuple[UUID, str, str]]:
    """Return (enrollment id, name, status) of everyone holding a seat, in booking order."""
    rows = await conn.fetch(
        """SELECT e.id, u.name, e.status FROM enrollments e JOIN users u ON u.id = e.trainee_id
           WHERE e.class_id = $1 AND e.status IN ('confirmed', 'attended', 'completed',
                                                  'no_show')
           ORDER BY e.booking_no""", class_id)
    return [(r["id"], r["name"], r["status"]) for r in rows]


async def warned(conn: Conn, class_id: UUID) -> dict[UUID, list[str]]:
    """Return the reasons each enrolment of a class was warned about."""
    rows = await conn.fetch(
        """SELECT w.enrollment_id, array_agg(w.reason ORDER BY w.reason) AS reasons
           FROM hours_warnings w JOIN enrollments e ON e.id = w.enrollment_id
           WHERE e.class_id = $1 GROUP BY w.enrollment_id""", class_id)
    return {r["enrollment_id"]: list(r["reasons"]) for r in rows}
