"""The certificate's life: statuses, what a result correction does, expiry, public masking."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Literal

from shared.errors import InvalidState
from shared.masking import mask_id_number, mask_name

Status = Literal["pending", "withdrawn", "valid", "suspended", "revoked"]
PublicStatus = Literal["valid", "revoked", "suspended", "expired"]
RevocationKind = Literal["manual", "result_corrected", "reissued"]
Action = Literal["approve", "revoke", "suspend", "reinstate", "reissue"]


class Decision(Enum):
    """What a newer result version does to an enrolment's certificate."""

    NOTHING = "nothing"
    ISSUE = "issue"  # passing, auto policy: a valid certificate now
    HOLD = "hold"  # passing, approval policy: a pending certificate awaits an approver
    WITHDRAW = "withdraw"  # a pending certificate whose result turned to failed
    REVOKE = "revoke"  # an issued certificate whose result turned to failed
    REISSUE = "reissue"  # revoked by an earlier correction, passing again, auto policy
    # Revoked by an earlier correction, passing again, approval policy: a replacement awaits an
    # approver; the revoked certificate stays as it is (and verifies as revoked) until then.
    HOLD_REISSUE = "hold_reissue"


@dataclass(frozen=True, slots=True)
class Live:
    """What the decision needs to know of an enrolment's live certificate."""

    status: Status
    revocation_kind: RevocationKind | None = None


def decide(live: Live | None, *, passed: bool, policy: Literal["auto", "approval"]) -> Decision:
    """Decide the effect of a result that is newer than every one seen before."""
    fresh = Decision.ISSUE if policy == "auto" else Decision.HOLD
    if live is None or live.status == "withdrawn":
        return fresh if passed else Decision.NOTHING
    if not passed:
        if live.status == "pending":
            return Decision.WITHDRAW
        if live.status in ("valid", "suspended"):
            return Decision.REVOKE
        return Decision.NOTHING
    if live.status == "revoked" and live.revocation_kind == "result_corrected":
        # Only our own automatic revocation is undone; a person's revocation stands. A new
        # certificate is signed only as a first one would be: at once where one step is allowed.
        return Decision.REISSUE if policy == "auto" else Decision.HOLD_REISSUE
    return Decision.NOTHING


_ALLOWED: dict[Action, tuple[Status, ...]] = {
    "approve": ("pending",),
    "revoke": ("valid", "suspended"),
    "suspend": ("valid",),
    "reinstate": ("suspended",),
    # A suspended one is reinstated first; a revoked one stays revoked (a person's revocation
    # stands, and one for a failed result is undone only by a passing correction).
    "reissue": ("valid",),
}
_HINTS: dict[tuple[Action, Status], str] = {
    ("reissue", "suspended"): ": reinstate it first",
    ("reissue", "revoked"): ": a revoked certificate stays revoked",
}


def check_transition(action: Action, status: Status, *, replaced: bool = False) -> None:
    """Raise InvalidState unless `action` is allowed on a certificate in `status`."""
    if replaced:
        raise InvalidState("this certificate was replaced by a newer one", code="replaced")
    if status not in _ALLOWED[action]:
        hint = _HINTS.get((action, status), "")
        raise InvalidState(f"cannot {action} a {status} certificate{hint}",
                           code=f"not_{action}able")


def check_reissue(status: Status, *, passed: bool, replaced: bool = False) -> None:
    """Raise InvalidState unless a person may reissue a certificate whose latest result is `passed`.

    The result comes before the status, as when issuing directly: a failed result gets no
    certificate. A replaced one still says so first: the caller is looking at a stale page.
    """
    if not passed and not replaced:
        raise InvalidState("the latest released result is not a pass", code="result_not_passed")
    check_transition("reissue", status, replaced=replaced)


def check_replaceable(status: Status, revocation_kind: RevocationKind | None) -> None:
    """Raise InvalidState unless an approved replacement may take over a certificate so.

    A reissue replaces a valid certificate, a passing correction one it revoked; anything that
    happened to it since (suspended, revoked by a person) stands until someone undoes it."""
    if status == "valid" or (status == "revoked" and revocation_kind == "result_corrected"):
        return
    hint = ": reinstate it first" if status == "suspended" else ""
    raise InvalidState(f"the certificate this one replaces is {status} now{hint}",
                       code="replaced_certificate_changed")


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later (clamped to the month's end)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry(issued_on: date, validity_months: int | None) -> date | None:
    """Return the last valid day of a certificate, or None when it never expires."""
    if not validity_months:
        return None
    return add_months(issued_on, validity_months) - timedelta(days=1)


def public_status(status: Status, expires_on: date | None, today: date) -> PublicStatus:
    """Return what a verifier sees: an issued certificate past its last day is expired."""
    if status not in ("valid", "suspended", "revoked"):
        raise InvalidState("not an issued certificate", code="not_issued")
    if status == "valid" and expires_on is not None and today > expires_on:
        return "expired"
    return status


def masked_holder(name: str) -> str:
    """Return the holder's name as the public may see it (张*三)."""
    return mask_name(name)


def masked_id(number_masked: str | None) -> str | None:
    """Return an ID number that is certainly masked."""
    if not number_masked:
        return None
    return number_masked if "*" in number_masked else mask_id_number(number_masked)
