"""The feedback survey after a class: questions, codes, when the follow-up is due. Pure."""

from __future__ import annotations

import calendar
import secrets
from datetime import datetime

from shared.errors import InvalidState

# The five 1-5 star questions, in the order the page asks them (column names in `surveys`).
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    ("content", "课程内容", "Course content"),
    ("trainer", "培训师", "Trainer"),
    ("venue", "场地与设施", "Venue and facilities"),
    ("usefulness", "对工作的帮助", "Usefulness for your work"),
    ("recommend", "是否愿意推荐给工友", "Would you recommend it"),
)
FOLLOWUP_MONTHS = 6
# Unambiguous characters (no 0/O, 1/I/L): the code is typed from an SMS.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code() -> str:
    """Return a fresh survey code (8 characters, about 40 bits)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Read a code as typed: case and spaces do not matter."""
    return code.strip().replace(" ", "").replace("-", "").upper()


def followup_due(completed_at: datetime) -> datetime:
    """Return when the employment question is asked: six months after completion."""
    month0 = completed_at.month - 1 + FOLLOWUP_MONTHS
    year, month = completed_at.year + month0 // 12, month0 % 12 + 1
    day = min(completed_at.day, calendar.monthrange(year, month)[1])  # 31 Aug -> 28/29 Feb
    return completed_at.replace(year=year, month=month, day=day)


def check_can_answer(answered_at: datetime | None) -> None:
    """Refuse a second answer to one enrolment's survey."""
    if answered_at is not None:
        raise InvalidState("This survey has been answered already; thank you.",
                           code="survey_answered")


def check_can_answer_followup(
    *, sent_at: datetime | None, answered_at: datetime | None
) -> None:
    """Refuse the employment answer before it is asked, or a second one."""
    if sent_at is None:
        raise InvalidState("The employment question is asked six months after the class.",
                           code="followup_not_due")
    if answered_at is not None:
        raise InvalidState("This question has been answered already; thank you.",
                           code="followup_answered")
