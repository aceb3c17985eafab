"""One way to write a date per language, the web front's and the messages' (2026年12月7日,
7 Dec 2026): the verification page and the printed certificate use it."""

from __future__ import annotations

from datetime import date

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def long_date(day: date, *, en: bool) -> str:
    """Write `day` as 2026年12月7日, or 7 Dec 2026 in English."""
    if en:
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"
