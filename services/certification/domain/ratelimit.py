"""Fair use of the public endpoints: token buckets per client (client IPs: shared.web.client_ip)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from shared.errors import RateLimited

_MAX_CLIENTS = 100_000


class TokenBuckets:
    """`rate` tokens per second per client, up to `burst`; one request takes one token."""

    def __init__(self, *, rate: float, burst: int,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._now = rate, burst, now
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str) -> None:
        """Take a token for `client` or raise RateLimited with the seconds to wait."""
        now = self._now()
        tokens, last = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self.rate) if self.rate > 0 else 60
            raise RateLimited("too many verification requests; slow down", retry_after=wait)
        if len(self._buckets) >= _MAX_CLIENTS and client not in self._buckets:
            self._forget_idle(now)
        self._buckets[client] = (tokens - 1.0, now)

    def _forget_idle(self, now: float) -> None:
        # A bucket that has refilled completely carries no information.
        full_after = self.burst / self.rate if self.rate > 0 else math.inf
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
