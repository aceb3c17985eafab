"""Class days, local dates and times of the business time zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.errors import ValidationFailed

MAX_CLASS_DAYS = 366
LEVEL_LABELS = {
    5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师", 1: "一级/高级技师",
}


def class_days(starts_on: date, ends_on: date, days: Sequence[date] | None) -> list[date]:
    """Return the sorted class days: the given ones (inside the range) or every day of it."""
    if ends_on < starts_on:
        raise ValidationFailed("The class cannot end before it starts.", code="invalid_schedule")
    if (ends_on - starts_on).days >= MAX_CLASS_DAYS:
        raise ValidationFailed("A class lasts at most one year.", code="invalid_schedule")
    if not days:
        return [starts_on + timedelta(days=i) for i in range((ends_on - starts_on).days + 1)]
    chosen = sorted(set(days))
    if chosen[0] != starts_on or chosen[-1] != ends_on:
        raise ValidationFailed(
            "The schedule must start on starts_on and end on ends_on.", code="invalid_schedule"
        )
    return chosen


def local_today(now: datetime, tz: str) -> date:
    """Return today's date in the business time zone."""
    return now.astimezone(ZoneInfo(tz)).date()


def start_of_day(day: date, tz: str) -> datetime:
    """Return the first instant of a local day."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))


def default_enrol_close(starts_on: date, *, opens: datetime, now: datetime, tz: str) -> datetime:
    """Return when enrolment closes by default: at the start of the first class day, or, for a
    class whose first day has come (one starting today), at the end of that day, so trainees
    may still join on the first day (and never sooner than a minute after it opens)."""
    first_day = start_of_day(starts_on, tz)
    if max(opens, now) < first_day:
        return first_day
    return max(start_of_day(starts_on + timedelta(days=1), tz), opens + timedelta(minutes=1))


def check_not_in_past(starts_on: date, today: date) -> None:
    """Refuse a first class day before today."""
    if starts_on < today:
        raise ValidationFailed("A class cannot start in the past.", code="invalid_schedule")


def first_session_at(starts_on: date, session_start: time | None, tz: str) -> datetime | None:
    """Return when the first session begins, if the class has a start time."""
    if session_start is None:
        return None
    return datetime.combine(starts_on, session_start, tzinfo=ZoneInfo(tz))


def level_label(level: int | None) -> str | None:
    """Return the level as printed on a certificate, e.g. 四级/中级工."""
    return LEVEL_LABELS.get(level) if level is not None else None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """When non-critical SMS are held back (local time of `tz`); start == end means never."""

    start: time
    end: time
    tz: str

    def over_at(self, now: datetime) -> datetime:
        """Return `now`, or the end of the quiet hours `now` falls in."""
        zone = ZoneInfo(self.tz)
        local = now.astimezone(zone)
        clock = local.time()
        if self.start == self.end:
            return now
        if self.start < self.end:
            quiet, end_day = self.start <= clock < self.end, local.date()
        else:  # the quiet hours span midnight
            quiet = clock >= self.start or clock < self.end
            end_day = local.date() + timedelta(days=clock >= self.start)
        if not quiet:
            return now
        return datetime.combine(end_day, self.end, tzinfo=zone).astimezone(now.tzinfo)


def offer_deadline(now: datetime, *, hours: int, quiet: QuietHours) -> datetime:
    """Return when a seat offer made now expires: `hours` after now, or after the end of the
    quiet hours, so the trainee has the whole period after the SMS can reach them."""
    return quiet.over_at(now) + timedelta(hours=hours)
