"""A clock tests move by hand (shared by the three services' tests)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta


class FakeClock:
    """A clock standing still at `start` unless `flowing`, when real time runs on from there.

    `advance` and `set` move it in both modes: a standing clock makes expiry and deadlines
    exact; a flowing one suits tests where running services wait for time to pass (retries).
    """

    def __init__(self, start: datetime, *, flowing: bool = False) -> None:
        self._start, self._flowing, self._t0 = start, flowing, time.monotonic()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """Return the test's current instant."""
        elapsed = timedelta(seconds=time.monotonic() - self._t0) if self._flowing else timedelta(0)
        return self._start + elapsed + self._offset

    def advance(self, delta: timedelta | None = None, **parts: float) -> None:
        """Move time forward by `delta` or by keyword parts (hours=1, minutes=5 ...)."""
        self._offset += (delta or timedelta(0)) + timedelta(**parts)

    def set(self, when: datetime) -> None:
        """Jump to an instant (later moves are relative to it)."""
        self._offset += when - self.now()
