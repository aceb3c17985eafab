"""The clock port: real time in production, a clock the tests move in tests/support/clock.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tell the current time (aware, UTC)."""

    def now(self) -> datetime:
        """Return the current instant."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)
