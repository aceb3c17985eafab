"""Training hours (学时) from check-ins: minutes per session, totals, the minimum to certify,
and when a trainee is at risk of missing it. Pure: times come from the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from services.enrollment.domain.checkin import Attendance
from services.enrollment.domain.sessions import Session

DEFAULT_MIN_RATIO = Decimal("0.9")
# The trainer's per-day tick overrides the check-ins of that day.
_TICK_PRESENT = frozenset({"present", "late"})
_TICK_ABSENT = frozenset({"absent", "excused"})


@dataclass(frozen=True, slots=True)
class SessionHours:
    """What one session counts for one trainee."""

    day: date
    no: int
    minutes: int
    planned: int
    late: bool = False
    left_early: bool = False
    missing_checkout: bool = False  # checked in, no check-out, the trainer has not confirmed
    overridden: bool = False  # the day's tick decided


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()) // 60)


def session_hours(
    session: Session, state: Attendance | None, *, tz: str, tick: str | None = None
) -> SessionHours:
    """Return the minutes a trainee attended a session: the overlap of [check-in, check-out]
    with it; without a check-out, up to its end only when the trainer confirmed that."""
    base = SessionHours(session.day, session.no, 0, session.minutes())
    if tick in _TICK_PRESENT:
        return SessionHours(session.day, session.no, base.planned, base.planned,
                            late=tick == "late", overridden=True)
    if tick in _TICK_ABSENT:
        return SessionHours(session.day, session.no, 0, base.planned, overridden=True)
    if state is None or state.checked_in_at is None:
        return base
    start, end = session.start(tz), session.end(tz)
    came = state.checked_in_at
    left = state.checked_out_at or (end if state.confirmed_to_end else None)
    if left is None:
        return SessionHours(session.day, session.no, 0, base.planned, late=came > start,
                            missing_checkout=True)
    return SessionHours(session.day, session.no, _minutes(max(came, start), min(left, end)),
                        base.planned, late=came > start, left_early=left < end)


@dataclass(frozen=True, slots=True)
class TraineeHours:
    """A trainee's hours over a class's sessions."""

    sessions: tuple[SessionHours, ...]

    @property
    def minutes(self) -> int:
        """Return the minutes attended."""
        return sum(s.minutes for s in self.sessions)

    @property
    def planned(self) -> int:
        """Return the minutes of all sessions."""
        return sum(s.planned for s in self.sessions)

    @property
    def hours(self) -> Decimal:
        """Return the hours attended, to one decimal."""
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def count(self, what: str) -> int:
        """Return how many sessions were late, left_early or missing_checkout."""
        return sum(1 for s in self.sessions if getattr(s, what))


def trainee_hours(
    sessions: Sequence[Session], states: Mapping[tuple[date, int], Attendance], *, tz: str,
    ticks: Mapping[date, str] | None = None,
) -> TraineeHours:
    """Return a trainee's hours over the class's sessions."""
    ticks = ticks or {}
    return TraineeHours(tuple(session_hours(s, states.get((s.day, s.no)), tz=tz,
                                            tick=ticks.get(s.day)) for s in sessions))


def required_minutes(required_hours: Decimal, planned: int) -> int:
    """Return the minutes to count against: the course's required hours, or the class's
    planned sessions when they are fewer (a trainee cannot attend more than is taught)."""
    return min(int(required_hours * 60), planned) if planned else int(required_hours * 60)


def attendance_ratio(minutes: int, required: int) -> Decimal:
    """Return the share of the required minutes attended (0-1)."""
    if required <= 0:
        return Decimal(0)
    return min(Decimal(1), (Decimal(minutes) / Decimal(required)).quantize(Decimal("0.0001")))


def enough_hours(minutes: int, *, required: int, min_ratio: Decimal) -> bool:
    """Tell whether a trainee attended the minimum share of the required minutes."""
    return Decimal(minutes) >= min_ratio * required


@dataclass(frozen=True, slots=True)
class Risk:
    """Why a trainee is at risk of not certifying, and the sessions missed so far."""

    reasons: tuple[str, ...]  # cannot_reach_minimum | missed_two_in_a_row
    missed: tuple[SessionHours, ...]


def hours_at_risk(
    hours: TraineeHours, sessions: Sequence[Session], *, now: datetime, tz: str,
    required: int, min_ratio: Decimal,
) -> Risk | None:
    """Return why a trainee is at risk, judged on the sessions that have ended by now: even
    attending all the rest would not reach the minimum, or the last two were missed."""
    ended = {(s.day, s.no) for s in sessions if s.end(tz) <= now}
    done = [h for h in hours.sessions if (h.day, h.no) in ended]
    missed = tuple(h for h in done if h.minutes == 0)
    still_possible = sum(h.planned for h in hours.sessions if (h.day, h.no) not in ended)
    reasons = []
    if not enough_hours(hours.minutes + still_possible, required=required, min_ratio=min_ratio):
        reasons.append("cannot_reach_minimum")
    if len(done) >= 2 and done[-1].minutes == 0 and done[-2].minutes == 0:
        reasons.append("missed_two_in_a_row")
    return Risk(tuple(reasons), missed) if reasons else None
