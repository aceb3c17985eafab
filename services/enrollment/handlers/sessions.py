"""Session times of class days: read them, and let a class's staff change them."""

from __future__ import annotations

from uuid import UUID

from services.enrollment.commands_evidence import SetSessions
from services.enrollment.deps import Deps
from services.enrollment.domain.sessions import (
    Session,
    check_days,
    check_times,
    planned_minutes,
    sessions_of,
)
from services.enrollment.handlers.access import class_not_found, require_class_staff_of
from services.enrollment.repository import sessions as repo
from services.enrollment.views.models.evidence import SessionOut, SessionsOut
from shared.auth import Principal
from shared.db import Conn
from shared.messaging.uow import UnitOfWork, in_transaction


async def load_sessions(conn: Conn, class_id: UUID) -> list[Session]:
    """Return every session of a class (default times where none are stored)."""
    days = await repo.class_days(conn, class_id)
    if days is None:
        raise class_not_found()
    return sessions_of(days, await repo.stored_times(conn, class_id))


async def list_sessions(class_id: UUID, *, deps: Deps) -> SessionsOut:
    """Return the sessions of a class."""
    async with deps.pool.acquire() as conn:
        sessions = await load_sessions(conn, class_id)
    return _out(class_id, sessions)


async def set_sessions(
    class_id: UUID, cmd: SetSessions, *, deps: Deps, actor: Principal
) -> SessionsOut:
    """Give some class days (or all) new session times."""
    times = check_times([(t.starts_at, t.ends_at) for t in cmd.times])

    async def work(uow: UnitOfWork) -> SessionsOut:
        cls = await require_class_staff_of(uow.conn, class_id, actor, lock=True,
                                           open_only=True)
        days = check_days(cmd.days, cls["class_days"])
        await repo.replace_times(uow.conn, class_id, days, times)
        return _out(class_id, await load_sessions(uow.conn, class_id))

    return await in_transaction(deps.uows, work)


def _out(class_id: UUID, sessions: list[Session]) -> SessionsOut:
    return SessionsOut(
        class_id=class_id, planned_minutes=planned_minutes(sessions),
        items=[SessionOut(date=s.day, no=s.no, starts_at=s.starts_at, ends_at=s.ends_at,
                          minutes=s.minutes()) for s in sessions])
