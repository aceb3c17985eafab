"""What the public may learn from a verification, and how a number lookup is matched.

A certificate number is sequential and guessable, so by number alone nobody learns anything:
the holder's name must come with it (as on the national query sites), and any mismatch reads
exactly like an unknown number. The verification code (random, printed on the PDF and in the
QR) is the only key that opens the public view alone, so no answer ever repeats it. A revocation
shows its category, never the free text a staff member typed.
"""

from __future__ import annotations

import hmac
import unicodedata
from typing import Literal

ReasonCode = Literal["information_error", "improperly_obtained", "result_corrected",
                     "reissued", "under_review", "other"]
# What an admin may pick when revoking by hand (the others are set by the system).
RevokeCategory = Literal["information_error", "improperly_obtained", "other"]
REASON_LABELS: dict[ReasonCode, tuple[str, str]] = {
    "information_error": ("信息有误", "Incorrect information"),
    "improperly_obtained": ("违规获取", "Improperly obtained"),
    "result_corrected": ("成绩更正", "Result corrected"),
    "reissued": ("已换发新证", "Replaced by a new certificate"),
    "under_review": ("核查中", "Under review"),
    "other": ("其他原因", "Other reasons"),
}
PUBLIC_ID_CHARS = 4


def public_reason(
    status: str, *, revocation_kind: str | None, category: str | None
) -> ReasonCode | None:
    """Return the category the public sees for a revoked or suspended certificate."""
    if status == "suspended":
        return "under_review"
    if status != "revoked":
        return None
    if revocation_kind in ("result_corrected", "reissued"):
        return revocation_kind  # type: ignore[return-value]
    return category if category in REASON_LABELS else "other"


def reason_label(code: ReasonCode | None, *, en: bool = False) -> str | None:
    """Return the printed label of a reason category."""
    if code is None:
        return None
    return REASON_LABELS[code][1 if en else 0]


def public_id(masked: str | None) -> str | None:
    """Return an ID number showing at most its last 4 characters, whatever its type."""
    if not masked:
        return None
    keep = PUBLIC_ID_CHARS if len(masked) >= 9 else 2 if len(masked) >= 6 else 0
    tail = masked[len(masked) - keep:] if keep else ""
    return "*" * (len(masked) - keep) + tail


def _normal(name: str) -> bytes:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(folded.split()).replace("·", "").replace(".", "").encode()


def names_match(given: str, holder: str) -> bool:
    """Tell whether a typed name is the holder's (width, case, spaces and 间隔号 ignored)."""
    return hmac.compare_digest(_normal(given), _normal(holder))
