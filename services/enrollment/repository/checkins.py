"""Check-ins per session, the codes each enrolment used, trainers' corrections (audited)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from uuid import UUID

import asyncpg

from services.enrollment.domain.checkin import Attendance, Geofence
from shared.db import Conn

_STATE = ("checked_in_at", "checked_out_at", "in_source", "out_source", "shared_device",
          "confirmed_to_end")


async def live_enrollment(conn: Conn, class_id: UUID, trainee_id: UUID) -> asyncpg.Record | None:
    """Return the trainee's live enrolment in the class (id, status), if any."""
    return await conn.fetchrow(
        """SELECT id, status FROM enrollments
           WHERE class_id = $1 AND trainee_id = $2 AND status <> 'cancelled'""",
        class_id, trainee_id)


async def enrollment_in_class(conn: Conn, enrollment_id: UUID) -> asyncpg.Record | None:
    """Return an enrolment's class and status."""
    return await conn.fetchrow("SELECT id, class_id, status FROM enrollments WHERE id = $1",
                               enrollment_id)


async def geofence(conn: Conn, class_id: UUID) -> Geofence | None:
    """Return the class's venue geofence, if it has one."""
    r = await conn.fetchrow(
        "SELECT venue_lat, venue_lng, venue_radius_m FROM classes WHERE id = $1", class_id)
    if r is None or r["venue_lat"] is None:
        return None
    return Geofence(r["venue_lat"], r["venue_lng"], float(r["venue_radius_m"]))


async def set_geofence(
    conn: Conn, class_id: UUID, *, lat: float | None, lng: float | None, radius_m: int | None
) -> None:
    """Set (or clear) the class's venue geofence."""
    await conn.execute(
        "UPDATE classes SET venue_lat = $2, venue_lng = $3, venue_radius_m = $4 WHERE id = $1",
        class_id, lat, lng, radius_m)


async def use_token(conn: Conn, enrollment_id: UUID, token_id: str, now: datetime) -> bool:
    """Remember that the enrolment used a code; False when it had used it before."""
    done = await conn.execute(
        """INSERT INTO checkin_tokens_used (enrollment_id, token_id, used_at)
           VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""", enrollment_id, token_id, now)
    return done.endswith(" 1")


async def lock_attendance(
    conn: Conn, *, enrollment_id: UUID, class_id: UUID, day: date, no: int, now: datetime
) -> Attendance:
    """Return one session's check-in state of an enrolment, locked (created empty if new)."""
    await conn.execute(
        """INSERT INTO checkins (enrollment_id, class_id, class_day, session_no, updated_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
        enrollment_id, class_id, day, no, now)
    r = await conn.fetchrow(
        f"""SELECT {", ".join(_STATE)} FROM checkins
            WHERE enrollment_id = $1 AND class_day = $2 AND session_no = $3 FOR UPDATE""",
        enrollment_id, day, no)
    assert r is not None
    return Attendance(**dict(r))


async def save_attendance(
    conn: Conn, state: Attendance, *, enrollment_id: UUID, day: date, no: int, now: datetime,
    device: str | None = None, kind: str | None = None,
) -> None:
    """Store one session's check-in state (and the device of a trainee's own scan)."""
    await conn.execute(
        """UPDATE checkins SET checked_in_at = $4, checked_out_at = $5, in_source = $6,
                  out_source = $7, shared_device = $8, confirmed_to_end = $9, updated_at = $10,
                  in_device = CASE WHEN $12 = 'in' THEN $11 ELSE in_device END,
                  out_device = CASE WHEN $12 = 'out' THEN $11 ELSE out_device END
           WHERE enrollment_id = $1 AND class_day = $2 AND session_no = $3""",
        enrollment_id, day, no, *(getattr(state, f) for f in _STATE), now, device, kind)


async def others_on_device(
    conn: Conn, *, class_id: UUID, day: date, no: int, device: str, enrollment_id: UUID
) -> list[UUID]:
    """Return the other enrolments that scanned this session's codes from the same browser."""
    rows = await conn.fetch(
        """SELECT enrollment_id FROM checkins
           WHERE class_id = $1 AND class_day = $2 AND session_no = $3 AND enrollment_id <> $5
             AND (in_device = $4 OR out_device = $4)""", class_id, day, no, device, enrollment_id)
    return [r["enrollment_id"] for r in rows]


async def flag_shared_device(conn: Conn, ids: list[UUID], *, day: date, no: int) -> None:
    """Flag these enrolments' check-ins of a session for the trainer to review."""
    await conn.execute(
        """UPDATE checkins SET shared_device = true
           WHERE enrollment_id = ANY($1) AND class_day = $2 AND session_no = $3""", ids, day, no)


async def audit(
    conn: Conn, *, enrollment_id: UUID, day: date, no: int, actor_id: UUID | None,
    actor_role: str, reason: str, before: Attendance, after: Attendance, at: datetime,
) -> None:
    """Append who recorded or corrected a check-in, why, and what it was before and after."""
    await conn.execute(
        """INSERT INTO checkin_audit (enrollment_id, class_day, session_no, actor_id,
                                      actor_role, reason, before, after, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        enrollment_id, day, no, actor_id, actor_role, reason,
        _jsonable(before), _jsonable(after), at)


def _jsonable(state: Attendance) -> dict[str, object]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(state).items()}


async def purge_used_tokens(conn: Conn, before: datetime) -> int:
    """Forget the codes used before `before`: they have expired, so cannot be replayed."""
    done = await conn.execute("DELETE FROM checkin_tokens_used WHERE used_at < $1", before)
    return int(done.split()[-1])
