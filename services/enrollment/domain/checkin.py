"""QR check-in: the trainer's rotating signed token, the venue's geofence, what a check-in
records. Pure: the key and the time come from the caller."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from uuid import UUID

from shared.errors import InvalidState, ValidationFailed

Kind = Literal["in", "out"]
# A new code every 20 s; each is good for 30 s, so one scanned just before the screen changes
# still works while the phone opens the page.
ROTATION_S = 20
TTL_S = 30
# A phone's clock and ours may differ a little; a token from further ahead is forged or broken.
_FUTURE_SLACK_S = 5
# What a phone's reported accuracy may add to the venue's radius, at most.
MAX_ACCURACY_ALLOWANCE_M = 100.0
_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class CheckinToken:
    """What the QR code says: class, session (day and number), kind, when it was issued."""

    class_id: UUID
    day: date
    no: int
    kind: Kind
    issued: int  # Unix seconds, a multiple of ROTATION_S

    @property
    def expires(self) -> datetime:
        """Return when the token stops being accepted."""
        return datetime.fromtimestamp(self.issued + TTL_S, UTC)


def current_issue(now: datetime) -> int:
    """Return the issue time of the code shown now (the start of this 20-second slot)."""
    seconds = int(now.timestamp())
    return seconds - seconds % ROTATION_S


def _signature(payload: str, key: bytes) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# "~" separates the parts: URL-safe, never in base64url, and a link ending in ".<letters>"
# would look like a file to the gateway rather than a page of the web front.
SEP = "~"


def sign_token(token: CheckinToken, key: bytes) -> str:
    """Return the token as URL-safe text: class~day~no~kind~issued~signature."""
    payload = SEP.join((token.class_id.hex, f"{token.day:%Y%m%d}", str(token.no), token.kind,
                        str(token.issued)))
    return f"{payload}{SEP}{_signature(payload, key)}"


def _invalid() -> ValidationFailed:
    return ValidationFailed("This is not a check-in code of this platform.",
                            code="checkin_token_invalid")


def expired() -> InvalidState:
    """Return the refusal of an expired or already used code."""
    return InvalidState("This check-in code has expired or was already used; scan the code "
                        "on the trainer's screen again.", code="checkin_token_expired")


def read_token(text: str, key: bytes, *, now: datetime) -> CheckinToken:
    """Return the token if its signature is ours and it has not expired."""
    payload, _, signature = text.strip().rpartition(SEP)
    if not hmac.compare_digest(_signature(payload, key), signature):
        raise _invalid()
    try:
        class_hex, day, no, kind, issued = payload.split(SEP)
        token = CheckinToken(UUID(hex=class_hex), datetime.strptime(day, "%Y%m%d").date(),
                             int(no), "in" if kind == "in" else "out", int(issued))
    except ValueError:
        raise _invalid() from None
    age = now.timestamp() - token.issued
    if age > TTL_S or age < -_FUTURE_SLACK_S:
        raise expired()
    return token


def token_id(text: str) -> str:
    """Return what identifies a token among the ones a trainee used (its signature)."""
    return text.strip().rpartition(SEP)[2]


@dataclass(frozen=True, slots=True)
class Geofence:
    """The venue's position and how far from it a check-in may be."""

    lat: float
    lng: float
    radius_m: float


@dataclass(frozen=True, slots=True)
class Position:
    """Where a phone says it is, and how sure it is."""

    lat: float
    lng: float
    accuracy_m: float = 0.0


def distance_m(a_lat: float, a_lng: float, b_lat: float, b_lng: float) -> float:
    """Return the great-circle distance between two points in metres (haversine)."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lng - a_lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def check_location(fence: Geofence | None, where: Position | None) -> None:
    """Refuse a check-in outside the venue's geofence (or without a position when it has one)."""
    if fence is None:
        return
    if where is None:
        raise ValidationFailed("This class checks the venue's location: allow the page to use "
                               "your location.", code="outside_venue")
    away = distance_m(fence.lat, fence.lng, where.lat, where.lng)
    if away > fence.radius_m + min(where.accuracy_m, MAX_ACCURACY_ALLOWANCE_M):
        raise ValidationFailed("You are not at the venue of this class.", code="outside_venue",
                               distance_m=round(away), radius_m=round(fence.radius_m))


@dataclass(frozen=True, slots=True)
class Attendance:
    """One trainee's check-in and check-out of one session."""

    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    in_source: str | None = None  # self | trainer
    out_source: str | None = None
    shared_device: bool = False
    confirmed_to_end: bool = False


def record_scan(now_state: Attendance, kind: Kind, at: datetime) -> tuple[Attendance, bool]:
    """Return the state after a trainee's scan and whether it changed anything.

    The first check-in counts (a second one would shorten nothing but could move the start
    later); the last check-out counts (leaving again later means they stayed longer)."""
    if kind == "in":
        if now_state.checked_in_at is not None:
            return now_state, False
        return replace(now_state, checked_in_at=at, in_source="self"), True
    return replace(now_state, checked_out_at=at, out_source="self"), True


def record_by_trainer(
    now_state: Attendance, *, checked_in_at: datetime | None, checked_out_at: datetime | None,
    confirm_to_end: bool,
) -> Attendance:
    """Return the state after a trainer's record or correction (given times replace ours)."""
    state = now_state
    if checked_in_at is not None:
        state = replace(state, checked_in_at=checked_in_at, in_source="trainer")
    if checked_out_at is not None:
        state = replace(state, checked_out_at=checked_out_at, out_source="trainer")
    if (state.checked_in_at and state.checked_out_at
            and state.checked_out_at < state.checked_in_at):
        raise ValidationFailed("The check-out would be before the check-in.",
                               code="invalid_checkin_times")
    if state.checked_in_at is None and state.checked_out_at is None:
        # Nothing to confirm or correct: a record needs a time, given now or recorded before.
        raise ValidationFailed("Give the check-in time: this session has no check-in yet.",
                               code="checkin_time_required")
    return replace(state, confirmed_to_end=confirm_to_end)


def slot_bounds(issued: int) -> tuple[datetime, datetime]:
    """Return when a code is issued and when the next one replaces it."""
    start = datetime.fromtimestamp(issued, UTC)
    return start, start + timedelta(seconds=ROTATION_S)
