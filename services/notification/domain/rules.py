"""Quiet hours, SMS length, per-recipient limits and retry timing: pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.notification.domain.model import RecentSends, Schedule, Status

MAX_SMS_CHARS = 500
SINGLE_SMS_CHARS = 70
SEGMENT_CHARS = 67


class SmsTooLongError(ValueError):
    """The SMS with its signature passes the 500-character limit."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours in which non-critical messages wait (start may be after end: overnight)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """Tell whether a local wall-clock time falls inside the quiet hours."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-recipient SMS limits mirroring the providers' defaults (configured in config.py)."""

    otp_per_minute: int
    otp_per_hour: int
    otp_per_day: int
    same_template_per_day: int
    same_content_window_s: int


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules taken from configuration: quiet hours, limits, time zone and retries."""

    quiet: QuietHours
    limits: Limits
    default_timezone: str
    retry_backoff_s: tuple[float, ...]
    max_send_attempts: int


def zone(name: str | None, default: str = "Asia/Shanghai") -> ZoneInfo:
    """Return the time zone by name, or the default when the name is unknown."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def quiet_release(now: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime | None:
    """Return when quiet hours end (UTC) if `now` is inside them, else None."""
    local = now.astimezone(tz)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return None
    release = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if release <= local:
        release = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=tz)
    return release.astimezone(UTC)


def local_day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Return local midnight of `now`'s day, in UTC (providers count natural days)."""
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(UTC)


def next_morning(now: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime:
    """Return the end of the next quiet period, tomorrow local time, in UTC."""
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=tz).astimezone(UTC)


def sms_length(body: str, signature: str) -> tuple[int, int]:
    """Return (characters, billed segments) of an SMS including its 【signature】."""
    chars = len(f"【{signature}】{body}")
    if chars > MAX_SMS_CHARS:
        raise SmsTooLongError(f"SMS has {chars} characters with its signature, max {MAX_SMS_CHARS}")
    segments = 1 if chars <= SINGLE_SMS_CHARS else math.ceil(chars / SEGMENT_CHARS)
    return chars, segments


def schedule_sms(
    *,
    now: datetime,
    otp: bool,
    critical: bool,
    recent: RecentSends,
    limits: Limits,
    quiet_until: datetime | None,
    morning: datetime,
    expires_at: datetime | None = None,
) -> Schedule:
    """Decide when a new SMS may go: at once, later, merged with a twin, or not at all."""
    if recent.same_content_id is not None:
        return Schedule(Status.COALESCED, now, "same_content_recently", recent.same_content_id)
    if otp:
        return _schedule_otp(now=now, recent=recent, limits=limits, expires_at=expires_at)
    if recent.same_template_today >= limits.same_template_per_day:
        return Schedule(Status.DEFERRED, morning, "template_daily_limit")
    if quiet_until is not None and not critical:
        return Schedule(Status.DEFERRED, quiet_until, "quiet_hours")
    return Schedule(Status.QUEUED, now)


def _schedule_otp(
    *, now: datetime, recent: RecentSends, limits: Limits, expires_at: datetime | None
) -> Schedule:
    if recent.today >= limits.otp_per_day or recent.last_hour >= limits.otp_per_hour:
        return Schedule(Status.SUPPRESSED, now, "otp_rate_limited")
    if recent.last_minute >= limits.otp_per_minute and recent.last_sent_at is not None:
        release = recent.last_sent_at + timedelta(minutes=1)
        if expires_at is not None and release >= expires_at:
            return Schedule(Status.SUPPRESSED, now, "otp_rate_limited")
        return Schedule(Status.DEFERRED, release, "otp_minute_limit")
    return Schedule(Status.QUEUED, now)


def schedule_email(*, now: datetime, critical: bool, quiet_until: datetime | None) -> Schedule:
    """Decide when a new email may go (quiet hours apply to every channel)."""
    if quiet_until is not None and not critical:
        return Schedule(Status.DEFERRED, quiet_until, "quiet_hours")
    return Schedule(Status.QUEUED, now)


def retry_at(now: datetime, attempts: int, backoff_s: tuple[float, ...]) -> datetime:
    """Return when to try again after `attempts` tries (the last step repeats)."""
    step = backoff_s[min(max(attempts - 1, 0), len(backoff_s) - 1)]
    return now + timedelta(seconds=step)
