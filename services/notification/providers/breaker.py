"""A circuit breaker per provider: stop calling one that keeps failing, probe it later."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Open after `threshold` failures in a row; let one probe through after `cooldown_s`."""

    def __init__(
        self, *, threshold: int = 5, cooldown_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold, self.cooldown_s, self._now = threshold, cooldown_s, monotonic
        self.failures = 0
        self.opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        """Return closed, open or half_open."""
        if self.opened_at is None:
            return "closed"
        if self._now() - self.opened_at >= self.cooldown_s:
            return "half_open"
        return "open"

    def allow(self) -> bool:
        """Tell whether a call may go to the provider now."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        """Close the circuit."""
        self.failures, self.opened_at, self._probing = 0, None, False

    def record_failure(self) -> None:
        """Count a failure; open (again) at the threshold or after a failed probe."""
        self.failures += 1
        if self._probing or self.failures >= self.threshold:
            self.opened_at = self._now()
        self._probing = False
