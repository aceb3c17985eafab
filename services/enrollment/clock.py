"""The service's notion of now, injectable so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Tell the current time (aware, UTC)."""

    def now(self) -> datetime:
        """Return the current instant."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)
