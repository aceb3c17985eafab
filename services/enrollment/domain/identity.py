"""Identity rules: resident ID checksums (GB 11643), sign-in codes, password attempt limits."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.errors import RateLimited, ValidationFailed

_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
# First-generation cards (before 1999): 15 digits, a two-digit birth year of the 1900s at
# characters 7-12, no check character. Still found on old rosters and accepted as they are.
_LEGACY_RESIDENT_ID = re.compile(r"^\d{15}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
ID_TYPES = ("resident_id", "passport", "hk_macao_permit", "taiwan_permit", "other")
MIN_PASSWORD_LENGTH = 8


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643 check character of the first 17 digits of a resident ID."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise_id_number(id_type: str, number: str) -> str:
    """Return a cleaned ID number; a resident ID must pass the GB 11643 checksum."""
    cleaned = number.strip().replace(" ", "").upper()
    if id_type != "resident_id":
        if not 4 <= len(cleaned) <= 32 or not cleaned.isalnum() or not cleaned.isascii():
            raise ValidationFailed("Enter a valid ID number.", code="invalid_id_number")
        return cleaned
    if _LEGACY_RESIDENT_ID.match(cleaned):
        _check_birth_date(f"19{cleaned[6:12]}")
        return cleaned
    if not _RESIDENT_ID.match(cleaned):
        raise ValidationFailed(
            "A resident ID number has 17 digits and a final digit or X (or 15 digits on a "
            "first-generation card).", code="invalid_id_number"
        )
    _check_birth_date(cleaned[6:14])
    if resident_id_check_char(cleaned[:17]) != cleaned[17]:
        raise ValidationFailed(
            "This resident ID number has a wrong check digit.", code="invalid_id_number"
        )
    return cleaned


def _check_birth_date(yyyymmdd: str) -> None:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise ValidationFailed(
            "The birth date inside this ID number is not a date.", code="invalid_id_number"
        ) from None


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short to protect a trainer or administrator account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.", code="weak_password"
        )


def new_otp_code() -> str:
    """Return a random six-digit sign-in code."""
    return f"{secrets.randbelow(1_000_000):06d}"


@dataclass(frozen=True, slots=True)
class OtpLimits:
    """How many codes one number may request per minute, hour and day."""

    per_minute: int = 1
    per_hour: int = 5
    per_day: int = 10


@dataclass(frozen=True, slots=True)
class OtpCeilings:
    """How many codes one client address may have within `client_window`, one block of
    numbers (see phones.block_of) within an hour, and everybody together within a minute:
    one number's limits do not stop a script trying many numbers."""

    per_client: int = 30
    client_window: timedelta = timedelta(minutes=10)
    per_minute_overall: int = 1000
    per_block_per_hour: int = 100


def check_otp_region(region: str, *, allowed: tuple[str, ...]) -> None:
    """Refuse a code to a number outside the regions codes may be sent to (SMS pumping)."""
    if region not in allowed:
        raise ValidationFailed(
            "Sign-in codes can only be sent to mobile numbers of "
            f"{', '.join(allowed)}.", code="phone_region_not_allowed", region=region)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def check_otp_rate(
    sent_at: list[datetime], *, now: datetime, limits: OtpLimits
) -> None:
    """Refuse a new code when the number has had too many recently (newest first)."""
    windows = (
        (timedelta(minutes=1), limits.per_minute),
        (timedelta(hours=1), limits.per_hour),
        (timedelta(days=1), limits.per_day),
    )
    for window, limit in windows:
        recent = [t for t in sent_at if t > now - window]
        if len(recent) >= limit:
            oldest_counted = sorted(recent, reverse=True)[limit - 1]
            retry_after = max(1, int((oldest_counted + window - now).total_seconds()) + 1)
            raise RateLimited(
                "Too many codes requested for this number; try again later.",
                retry_after=retry_after,
                code="otp_rate_limited",
            )



def check_otp_client_rate(nth_newest: datetime | None, *, now: datetime,
                          ceilings: OtpCeilings) -> None:
    """Refuse a new code when the client address has had its allowance within the window.

    `nth_newest` is the client's `per_client`-th newest code within the window, if any."""
    if nth_newest is not None:
        raise RateLimited(
            "Too many codes requested from this network; try again later.",
            retry_after=_seconds_until(nth_newest + ceilings.client_window, now),
            code="otp_ip_rate_limited",
        )


def check_otp_block_rate(nth_newest: datetime | None, *, now: datetime,
                         ceilings: OtpCeilings) -> None:
    """Refuse a new code when the number's block has had its allowance within the hour.

    `nth_newest` is the block's `per_block_per_hour`-th newest code within the hour, if any."""
    if nth_newest is not None:
        raise RateLimited(
            "Too many codes requested for numbers like this one; try again later.",
            retry_after=_seconds_until(nth_newest + timedelta(hours=1), now),
            code="otp_prefix_rate_limited",
        )


def check_otp_overall_rate(nth_newest: datetime | None, *, now: datetime,
                           ceilings: OtpCeilings) -> None:
    """Refuse a new code when the service has sent its ceiling of codes within a minute.

    `nth_newest` is the `per_minute_overall`-th newest code within the minute, if any."""
    if nth_newest is not None:
        raise RateLimited(
            "Too many sign-in codes are being requested; try again shortly.",
            retry_after=_seconds_until(nth_newest + timedelta(minutes=1), now),
            code="otp_global_rate_limited",
        )


@dataclass(frozen=True, slots=True)
class StoredOtp:
    """The latest code issued to a number, as stored (only its hash)."""

    id: int
    code_hash: str
    expires_at: datetime
    attempts: int
    used: bool


OtpOutcome = str  # "ok" | "wrong" | "expired" | "locked" | "none"


def judge_otp(stored: StoredOtp | None, *, matches: bool, now: datetime, max_attempts: int) -> str:
    """Decide what a code entered for a number means."""
    if stored is None or stored.used:
        return "none"
    if stored.attempts >= max_attempts:
        return "locked"
    if stored.expires_at <= now:
        return "expired"
    return "ok" if matches else "wrong"


@dataclass(frozen=True, slots=True)
class PasswordLimits:
    """Failed password sign-ins allowed per phone and per client address within `window`;
    reaching either limit locks that phone's / address's password sign-in for `lock`."""

    per_phone: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Standing:
    """One phone's or client address's failed password sign-ins and lock.

    `failures` counts those within the window and after the end of the last lock."""

    failures: int
    locked_until: datetime | None


def _too_many(retry_after: int) -> RateLimited:
    return RateLimited("Too many failed sign-ins; try again later.", retry_after=retry_after,
                       code="too_many_attempts")


def check_password_attempt(
    phone: Standing, ip: Standing, *, now: datetime, limits: PasswordLimits
) -> None:
    """Refuse a password sign-in while its phone or client address is locked."""
    ends = [s.locked_until for s in (phone, ip) if s.locked_until and s.locked_until > now]
    if ends:
        raise _too_many(max(1, math.ceil((max(ends) - now).total_seconds())))
    if phone.failures >= limits.per_phone or ip.failures >= limits.per_ip:
        # Attempts still being checked use the allowance up; if they fail, they set the lock.
        raise _too_many(1)


def locks_after_failure(
    phone: Standing, ip: Standing, *, limits: PasswordLimits
) -> tuple[bool, bool]:
    """Tell whether a failed attempt (already counted) locks its phone and its address."""
    return phone.failures >= limits.per_phone, ip.failures >= limits.per_ip
