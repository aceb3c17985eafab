"""The lottery (摇号): commit-reveal, the draw order and who gets the seats. Pure, no I/O.

The rule, in one line anyone can re-run: the service commits to `sha256(seed)` when the
lottery is set up; at the draw it reveals the seed, and the applications are ordered by
(priority group, HMAC-SHA256(key=seed, message=application id as lowercase hyphenated
text), hex). Ranks are 1..n in that order. The first `seats` eligible applications get seat
offers; every other eligible one joins the waitlist in rank order.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from shared.errors import Conflict, InvalidState, ValidationFailed

ALGORITHM = "hmac-sha256-v1"
ALGORITHM_TEXT = (
    "Order applications by (priority group, HMAC-SHA256 with the seed as key over the "
    "application id as lowercase hyphenated text, as hex); ranks 1..n in that order. "
    "The commitment is sha256(seed). The first `seats` eligible applications are offered a "
    "seat, the other eligible ones are waitlisted in rank order."
)
SEED_BYTES = 32
Outcome = Literal["offered", "waitlisted", "ineligible"]
EARLY_REASON_MIN = 10


def new_seed() -> bytes:
    """Return 32 fresh random bytes."""
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    """Return the public commitment to a seed: sha256(seed) as hex."""
    return hashlib.sha256(seed).hexdigest()


def ticket(seed: bytes, application_id: UUID | str) -> str:
    """Return an application's draw ticket: HMAC-SHA256(seed, id) as hex."""
    message = str(UUID(str(application_id))).encode()
    return hmac.new(seed, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """An application in the draw: group 0 is drawn before group 1 (priority option)."""

    application_id: UUID
    group: int = 0


def draw_order(seed: bytes, entries: Iterable[Entry]) -> list[Entry]:
    """Return the entries in draw order."""
    return sorted(entries, key=lambda e: (e.group, ticket(seed, e.application_id)))


@dataclass(frozen=True, slots=True)
class Placed:
    """One application's place after the draw."""

    entry: Entry
    rank: int
    outcome: Outcome
    waitlist_position: int | None = None


def allocate(ordered: Sequence[Entry], *, seats: int, eligible: set[UUID]) -> list[Placed]:
    """Give the first `seats` eligible entries offers and queue the other eligible ones."""
    placed, offered, waiting = [], 0, 0
    for rank, entry in enumerate(ordered, start=1):
        if entry.application_id not in eligible:
            placed.append(Placed(entry, rank, "ineligible"))
        elif offered < seats:
            offered += 1
            placed.append(Placed(entry, rank, "offered"))
        else:
            waiting += 1
            placed.append(Placed(entry, rank, "waitlisted", waiting))
    return placed


@dataclass(frozen=True, slots=True)
class LotteryWindow:
    """What decides whether a lottery takes applications or may be drawn."""

    opens_at: datetime
    closes_at: datetime
    drawn: bool
    cancelled: bool


def check_can_apply(window: LotteryWindow, *, now: datetime) -> None:
    """Refuse an application outside the window or after the draw."""
    if window.cancelled:
        raise InvalidState("This class has been cancelled.", code="class_cancelled")
    if window.drawn:
        raise InvalidState("The lots for this class have been drawn.", code="lottery_drawn")
    if now < window.opens_at:
        raise InvalidState("Applications for this class have not opened yet.",
                           code="applications_not_open", opens_at=window.opens_at.isoformat())
    if now >= window.closes_at:
        raise InvalidState("Applications for this class have closed.", code="applications_closed")


def check_can_withdraw(window: LotteryWindow, *, now: datetime) -> None:
    """Refuse to withdraw an application once the window has closed or the lots are drawn."""
    if window.drawn or now >= window.closes_at:
        raise InvalidState("Applications can no longer be withdrawn: the window has closed.",
                           code="applications_closed")


def check_can_draw(window: LotteryWindow, *, now: datetime, early_reason: str | None) -> None:
    """Refuse a draw already made, or one before the close without a recorded reason."""
    if window.drawn:
        raise Conflict("The lots for this class have already been drawn.", code="lottery_drawn")
    if now < window.closes_at and len((early_reason or "").strip()) < EARLY_REASON_MIN:
        raise ValidationFailed(
            f"Drawing before the window closes needs a reason of at least {EARLY_REASON_MIN} "
            "characters.", code="early_draw_reason_required")


# --- verifying a published draw -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a published draw document is consistent, and what is wrong if not."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Tell whether nothing is wrong."""
        return not self.problems


def verify_document(doc: Mapping[str, Any]) -> Verdict:
    """Recompute a draw from its public document alone and list every inconsistency."""
    if doc.get("algorithm") != ALGORITHM:
        return Verdict((f"unknown algorithm {doc.get('algorithm')!r}",))
    if not doc.get("seed"):
        return Verdict(("the lots have not been drawn yet: no seed published",))
    seed = bytes.fromhex(doc["seed"])
    problems: list[str] = []
    if commitment(seed) != doc["commitment"]:
        problems.append("sha256(seed) does not match the commitment published before the draw")
    rows = list(doc["entries"])
    if len(rows) != doc.get("applications"):
        problems.append(f"{len(rows)} entries listed, {doc.get('applications')} announced")
    ordered = draw_order(seed, (Entry(UUID(r["application_id"]), r["group"]) for r in rows))
    by_id = {str(UUID(r["application_id"])): r for r in rows}
    eligible = {UUID(r["application_id"]) for r in rows if r["outcome"] != "ineligible"}
    for expected in allocate(ordered, seats=doc["seats"], eligible=eligible):
        row = by_id[str(expected.entry.application_id)]
        if (row["rank"], row["outcome"]) != (expected.rank, expected.outcome):
            problems.append(
                f"{row['application_id']}: published rank {row['rank']} {row['outcome']}, "
                f"recomputed rank {expected.rank} {expected.outcome}")
    return Verdict(tuple(problems))

