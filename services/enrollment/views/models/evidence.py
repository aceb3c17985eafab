"""Response models of training evidence: sessions, check-ins, minutes attended."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID

from services.enrollment.views.models.base import Out


class SessionOut(Out):
    """One session of a class day."""

    date: date
    no: int
    starts_at: time
    ends_at: time
    minutes: int


class SessionsOut(Out):
    """Every session of a class, in order."""

    class_id: UUID
    items: list[SessionOut]
    planned_minutes: int
