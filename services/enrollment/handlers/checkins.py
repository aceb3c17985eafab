"""QR check-in: the trainer's rotating code, a trainee's scan, a trainer's record (audited)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID

from services.enrollment.commands_evidence import CheckIn, Kind, RecordCheckin, SetGeofence
from services.enrollment.deps import Deps
from services.enrollment.domain.checkin import (
    Attendance,
    CheckinToken,
    Position,
    check_location,
    current_issue,
    expired,
    read_token,
    record_by_trainer,
    record_scan,
    sign_token,
    slot_bounds,
    token_id,
)
from services.enrollment.domain.enrollment import ON_ROSTER, Status
from services.enrollment.domain.sessions import Session, current_session, find_session
from services.enrollment.handlers.access import require_class_staff_of
from services.enrollment.handlers.sessions import load_sessions
from services.enrollment.repository import checkins as repo
from services.enrollment.repository import results as results_repo
from services.enrollment.views import checkins as views
from services.enrollment.views.models.evidence import (
    CheckinCodeOut,
    CheckinOut,
    ClassCheckin,
    ClassCheckinsOut,
    GeofenceOut,
    SessionOut,
)
from services.enrollment.views.qr import qr_rows
from shared.auth import Principal
from shared.db import Conn
from shared.errors import Forbidden, InvalidState, ValidationFailed
from shared.messaging.uow import UnitOfWork, in_transaction

# Who may check in: a confirmed seat, also after a first day's attendance was marked.
_CHECKING_IN = frozenset({Status.CONFIRMED, Status.ATTENDED})
# A trainer's record may not be in the future (beyond clock differences).
_CLOCK_SLACK = timedelta(minutes=2)


async def checkin_code(
    class_id: UUID, kind: Kind, *, origin: str, deps: Deps, actor: Principal
) -> CheckinCodeOut:
    """Return the code for the session open now (its trainers and admins only)."""
    now = deps.clock.now()
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
        session = current_session(await load_sessions(conn, class_id), now, deps.tz)
    if session is None:
        raise InvalidState("No session of this class is open for check-in now (from 30 "
                           "minutes before it starts to 30 minutes after it ends).",
                           code="no_session_open")
    token = CheckinToken(class_id, session.day, session.no, kind, current_issue(now))
    text = sign_token(token, deps.checkin_key)
    issued, refresh = slot_bounds(token.issued)
    url = f"{origin}/checkin/{text}"
    return CheckinCodeOut(token=text, path=f"/checkin/{text}", url=url, qr=qr_rows(url),
                          kind=kind,
                          session=_session_out(session), issued_at=issued,
                          expires_at=token.expires, refresh_at=refresh)


async def check_in(cmd: CheckIn, *, deps: Deps, actor: Principal, device: str) -> CheckinOut:
    """Record a trainee's scan of the trainer's code (in or out) for the session it names."""
    now = deps.clock.now()
    token = read_token(cmd.token, deps.checkin_key, now=now)
    kind: Kind = cmd.kind or token.kind
    where = Position(cmd.location.lat, cmd.location.lng, cmd.location.accuracy_m) \
        if cmd.location else None

    async def work(uow: UnitOfWork) -> CheckinOut:
        conn = uow.conn
        enrollment = await repo.live_enrollment(conn, token.class_id, actor.user_id)
        if enrollment is None or Status(enrollment["status"]) not in _CHECKING_IN:
            raise Forbidden("You hold no confirmed place in this class.", code="not_enrolled")
        session = find_session(await load_sessions(conn, token.class_id), token.day, token.no)
        _check_open(session, now, deps.tz)
        check_location(await repo.geofence(conn, token.class_id), where)
        if not await repo.use_token(conn, enrollment["id"], token_id(cmd.token), now):
            raise expired()  # a replay: each code counts once per trainee
        return await _record_scan(conn, enrollment["id"], token, kind, now, device)

    return await in_transaction(deps.uows, work)


def _check_open(session: Session, now: datetime, tz: str) -> None:
    if not session.open_for_checkin(now, tz):
        raise InvalidState("Check-in for this session is closed (it opens 30 minutes before the "
                           "session and closes 30 minutes after it).", code="outside_session",
                           starts_at=session.start(tz).isoformat(),
                           ends_at=session.end(tz).isoformat())


async def _record_scan(
    conn: Conn, enrollment_id: UUID, token: CheckinToken, kind: Kind, now: datetime,
    device: str,
) -> CheckinOut:
    day, no = token.day, token.no
    state = await repo.lock_attendance(conn, enrollment_id=enrollment_id,
                                       class_id=token.class_id, now=now, day=day, no=no)
    after, changed = record_scan(state, kind, now)
    others = await repo.others_on_device(conn, class_id=token.class_id, device=device,
                                         enrollment_id=enrollment_id, day=day, no=no)
    if others:  # a second trainee from this browser: recorded, flagged for the trainer
        after = replace(after, shared_device=True)
        await repo.flag_shared_device(conn, others, day=day, no=no)
    await repo.save_attendance(conn, after, enrollment_id=enrollment_id, now=now,
                               device=device if changed else None, kind=kind, day=day, no=no)
    return CheckinOut(
        enrollment_id=enrollment_id, date=day, no=no, kind=kind,
        recorded_at=now, checked_in_at=after.checked_in_at,
        checked_out_at=after.checked_out_at, flags=_flags(after),
        already_recorded=not changed)


def _flags(state: Attendance) -> list[str]:
    return ["shared_device"] if state.shared_device else []


async def record_checkin(
    class_id: UUID, day: date, no: int, enrollment_id: UUID, cmd: RecordCheckin, *,
    deps: Deps, actor: Principal,
) -> ClassCheckin:
    """Record or correct one trainee's check-in of a session by hand, with a reason (audited)."""
    now = deps.clock.now()
    for moment in (cmd.checked_in_at, cmd.checked_out_at):
        if moment is not None and moment > now + _CLOCK_SLACK:
            raise ValidationFailed("A check-in cannot be recorded in the future.",
                                   code="invalid_checkin_times")

    async def work(uow: UnitOfWork) -> ClassCheckin:
        conn = uow.conn
        await require_class_staff_of(conn, class_id, actor, lock=True)
        find_session(await load_sessions(conn, class_id), day, no)
        enrollment = await repo.enrollment_in_class(conn, enrollment_id)
        if (enrollment is None or enrollment["class_id"] != class_id
                or Status(enrollment["status"]) not in ON_ROSTER):
            raise ValidationFailed("This enrolment holds no seat in this class.",
                                   code="unknown_enrollment")
        before = await repo.lock_attendance(conn, enrollment_id=enrollment_id,
                                            class_id=class_id, day=day, no=no, now=now)
        after = record_by_trainer(before, checked_in_at=cmd.checked_in_at,
                                  checked_out_at=cmd.checked_out_at,
                                  confirm_to_end=cmd.confirm_to_end)
        await repo.save_attendance(conn, after, enrollment_id=enrollment_id, day=day, no=no,
                                   now=now)
        await repo.audit(conn, enrollment_id=enrollment_id, day=day, no=no,
                         actor_id=actor.user_id, actor_role=actor.role, reason=cmd.reason,
                         before=before, after=after, at=now)
        # A check-in recorded by hand decides hours: its recorder may not approve the result.
        await results_repo.add_author(conn, [enrollment_id], "attendance", actor.user_id,
                                      now=now)
        mine = [c for c in await views.class_checkins(conn, class_id)
                if (c.enrollment_id, c.date, c.no) == (enrollment_id, day, no)]
        return mine[0]

    return await in_transaction(deps.uows, work)


async def list_checkins(class_id: UUID, *, deps: Deps, actor: Principal) -> ClassCheckinsOut:
    """Return every check-in of a class for its trainers and administrators."""
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
        return ClassCheckinsOut(class_id=class_id, items=await views.class_checkins(conn, class_id))


async def get_geofence(class_id: UUID, *, deps: Deps, actor: Principal) -> GeofenceOut:
    """Return the venue's geofence (its trainers and administrators)."""
    async with deps.pool.acquire() as conn:
        await require_class_staff_of(conn, class_id, actor)
        fence = await repo.geofence(conn, class_id)
    if fence is None:
        return GeofenceOut(class_id=class_id, lat=None, lng=None, radius_m=None)
    return GeofenceOut(class_id=class_id, lat=fence.lat, lng=fence.lng,
                       radius_m=round(fence.radius_m))


async def set_geofence(
    class_id: UUID, cmd: SetGeofence, *, deps: Deps, actor: Principal
) -> GeofenceOut:
    """Set or clear the venue's geofence (check-ins must then come from within it)."""

    async def work(uow: UnitOfWork) -> GeofenceOut:
        await require_class_staff_of(uow.conn, class_id, actor)
        await repo.set_geofence(uow.conn, class_id, lat=cmd.lat, lng=cmd.lng,
                                radius_m=cmd.radius_m)
        return GeofenceOut(class_id=class_id, lat=cmd.lat, lng=cmd.lng, radius_m=cmd.radius_m)

    return await in_transaction(deps.uows, work)


def _session_out(s: Session) -> SessionOut:
    return SessionOut(date=s.day, no=s.no, starts_at=s.starts_at, ends_at=s.ends_at,
                      minutes=s.minutes())
