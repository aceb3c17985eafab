"""What every use case of the enrollment service may depend on, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from services.enrollment.config import Settings
from services.enrollment.crypto.passwords import PasswordHashing
from services.enrollment.crypto.pii import PiiCiphers
from services.enrollment.domain.schedule import QuietHours
from shared.auth import TokenIssuer
from shared.clock import Clock
from shared.combiner import Combiner
from shared.messaging.uow import UowFactory
from shared.web.client_ip import TrustedProxies


@dataclass(frozen=True)
class Deps:
    """Transactions, reads, time, keys, password hashing, settings and the proxies whose client
    IPs we believe."""

    uows: UowFactory
    pool: asyncpg.Pool
    clock: Clock
    ciphers: PiiCiphers
    passwords: PasswordHashing
    issuer: TokenIssuer
    settings: Settings
    proxies: TrustedProxies
    checkin_key: bytes  # signs the trainer's rotating QR codes
    # Concurrent self-service bookings per class (handlers/enrol.py; typed there: the item
    # type lives in the handlers, which import this module).
    bookings: Combiner[Any, Any] = field(default_factory=Combiner)

    @property
    def tz(self) -> str:
        """Return the business time zone."""
        return self.settings.timezone

    @property
    def quiet_hours(self) -> QuietHours:
        """Return when non-critical SMS wait (a seat offer's period starts at their end)."""
        s = self.settings
        return QuietHours(start=s.quiet_start, end=s.quiet_end,
                          tz=s.quiet_timezone)

