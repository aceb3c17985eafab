"""Sessions of a class day: local start and end times, and when check-in is open for them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.errors import NotFound, ValidationFailed

DEFAULT_TIMES: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(14), time(17)))
MAX_SESSIONS_PER_DAY = 8
# Check-in opens this long before a session starts and closes this long after it ends.
CHECKIN_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Session:
    """One session: class day, its number that day (1, 2 ...) and local times."""

    day: date
    no: int
    starts_at: time
    ends_at: time

    def start(self, tz: str) -> datetime:
        """Return when the session starts."""
        return datetime.combine(self.day, self.starts_at, tzinfo=ZoneInfo(tz))

    def end(self, tz: str) -> datetime:
        """Return when the session ends."""
        return datetime.combine(self.day, self.ends_at, tzinfo=ZoneInfo(tz))

    def minutes(self) -> int:
        """Return the session's planned length in minutes."""
        start, end = (datetime.combine(self.day, t) for t in (self.starts_at, self.ends_at))
        return int((end - start).total_seconds()) // 60

    def open_for_checkin(self, now: datetime, tz: str) -> bool:
        """Tell whether check-in is open: from 30 min before the start to 30 min after the end."""
        return self.start(tz) - CHECKIN_MARGIN <= now <= self.end(tz) + CHECKIN_MARGIN


Times = Sequence[tuple[time, time]]


def check_times(times: Times) -> list[tuple[time, time]]:
    """Return the sessions of a day in order; refuse overlapping, empty or too many sessions."""
    ordered = sorted(times)
    if not 1 <= len(ordered) <= MAX_SESSIONS_PER_DAY:
        raise ValidationFailed(f"A class day has 1 to {MAX_SESSIONS_PER_DAY} sessions.",
                               code="invalid_sessions")
    for starts, ends in ordered:
        if ends <= starts:
            raise ValidationFailed("A session ends after it starts.", code="invalid_sessions")
    for (_, ends), (starts, _) in itertools.pairwise(ordered):
        if starts < ends:
            raise ValidationFailed("Sessions of a day must not overlap.", code="invalid_sessions")
    return ordered


def check_days(days: Iterable[date], class_days: Sequence[date]) -> list[date]:
    """Return the days to change: the given ones (each a class day) or every class day."""
    chosen = sorted(set(days))
    if not chosen:
        return list(class_days)
    foreign = [d.isoformat() for d in chosen if d not in set(class_days)]
    if foreign:
        raise ValidationFailed("Some dates are not days of this class.", code="not_a_class_day",
                               dates=foreign)
    return chosen


def sessions_of(class_days: Sequence[date], stored: Mapping[date, Times]) -> list[Session]:
    """Return every session of a class: a day's stored times, else the default ones."""
    return [Session(day, no, starts, ends)
            for day in sorted(class_days)
            for no, (starts, ends) in enumerate(stored.get(day) or DEFAULT_TIMES, start=1)]


def find_session(sessions: Iterable[Session], day: date, no: int) -> Session:
    """Return one session of a class by day and number."""
    for session in sessions:
        if (session.day, session.no) == (day, no):
            return session
    raise NotFound("This class has no such session.", code="session_not_found")


def current_session(sessions: Iterable[Session], now: datetime, tz: str) -> Session | None:
    """Return the session whose check-in is open now (the later one when two windows meet)."""
    open_now = [s for s in sessions if s.open_for_checkin(now, tz)]
    return open_now[-1] if open_now else None


def planned_minutes(sessions: Iterable[Session]) -> int:
    """Return the minutes of all sessions."""
    return sum(s.minutes() for s in sessions)
