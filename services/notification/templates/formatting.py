"""Locale-aware wording of dates, levels and reasons used inside messages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

_LEVELS = {
    "zh-CN": {
        5: "五级/初级工",
        4: "四级/中级工",
        3: "三级/高级工",
        2: "二级/技师",
        1: "一级/高级技师",
    },
    "en": {
        5: "Level 5 (junior worker)",
        4: "Level 4 (intermediate worker)",
        3: "Level 3 (senior worker)",
        2: "Level 2 (technician)",
        1: "Level 1 (senior technician)",
    },
}
_TRAINING = {"zh-CN": "培训合格证书", "en": "training certificate"}
_CANCEL_REASONS = {
    "zh-CN": {
        "by_trainee": "本人取消",
        "by_admin": "管理员取消",
        "class_cancelled": "班次取消",
        "offer_expired": "未在期限内确认",
        "offer_declined": "已放弃名额",
        "ineligible": "已不符合补贴培训条件",
    },
    "en": {
        "by_trainee": "cancelled by you",
        "by_admin": "cancelled by the organiser",
        "class_cancelled": "the class was cancelled",
        "offer_expired": "the offer was not accepted in time",
        "offer_declined": "you declined the offer",
        "ineligible": "no longer eligible for the subsidy",
    },
}
_RESULT = {"zh-CN": ("合格", "不合格"), "en": ("passed", "not passed")}
_NO_SCORE = {"zh-CN": "无", "en": "none"}


def fmt_date(value: date, locale: str) -> str:
    """Write a date as 2025年3月1日 or 1 Mar 2025."""
    if locale == "en":
        return f"{value.day} {value:%b %Y}"
    return f"{value.year}年{value.month}月{value.day}日"


def fmt_datetime(value: datetime, tz: ZoneInfo, locale: str) -> str:
    """Write a moment in the recipient's zone as 3月1日 09:00 or 1 Mar 09:00."""
    local = value.astimezone(tz)
    if locale == "en":
        return f"{local.day} {local:%b %H:%M}"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def level_text(level: int | None, locale: str) -> str:
    """Name a skill level as printed on certificates (or say it is a training certificate)."""
    if level is None:
        return _TRAINING[_loc(locale)]
    return _LEVELS[_loc(locale)][level]


def cancel_reason(reason: str, locale: str) -> str:
    """Explain why an enrolment ended."""
    return _CANCEL_REASONS[_loc(locale)][reason]


def result_text(passed: bool, locale: str) -> str:
    """Say passed or not passed."""
    ok, not_ok = _RESULT[_loc(locale)]
    return ok if passed else not_ok


def draw_result(outcome: str, locale: str, *, deadline: str, position: int | None) -> str:
    """Say what the draw gave: a seat to accept by a deadline, a waitlist place, or neither."""
    if _loc(locale) == "en":
        return {"offered": f"a seat, accept by {deadline}",
                "waitlisted": f"waiting list number {position}",
                }.get(outcome, "not eligible")
    return {"offered": f"中签，请于{deadline}前确认",
            "waitlisted": f"未中签，候补第{position}位",
            }.get(outcome, "不符合报名条件")


def score_text(score: float | None, locale: str) -> str:
    """Write a score without trailing zeros, or say there is none."""
    if score is None:
        return _NO_SCORE[_loc(locale)]
    return f"{score:g}"


def short(text: str, limit: int = 20) -> str:
    """Cut a long text for an SMS variable (providers limit variable length)."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def minutes_until(later: datetime, now: datetime) -> str:
    """Return whole minutes between two moments, at least 1."""
    return str(max(1, round((later - now).total_seconds() / 60)))


def _loc(locale: str) -> str:
    return "en" if locale == "en" else "zh-CN"
