"""Session times of class days."""

from __future__ import annotations

from services.enrollment.api.base import STAFF, deps, routes
from services.enrollment.commands_evidence import SetSessions
from services.enrollment.handlers import sessions
from services.enrollment.views.models.evidence import SessionsOut
from shared.web.api import ApiRequest

TAGS = ("evidence",)


@routes.get("/api/v1/classes/{class_id}/sessions", response=SessionsOut, tags=TAGS)
async def list_sessions(req: ApiRequest[None, None]) -> SessionsOut:
    """Return every session of a class (default 09:00-12:00 and 14:00-17:00 each day)."""
    return await sessions.list_sessions(req.path_uuid("class_id"), deps=deps(req))


@routes.put("/api/v1/classes/{class_id}/sessions", body=SetSessions, response=SessionsOut,
            roles=STAFF, tags=TAGS)
async def set_sessions(req: ApiRequest[SetSessions, None]) -> SessionsOut:
    """Give the listed class days (default: every one) these sessions, in local time."""
    return await sessions.set_sessions(req.path_uuid("class_id"), req.body, deps=deps(req),
                                       actor=req.user)
