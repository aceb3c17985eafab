"""What the use cases of the certification service receive: clock, keys, numbering, identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet, InvalidToken

from services.certification.credentials.keys import KeyRing
from services.certification.domain.numbers import NumberGenerator
from shared.clock import Clock

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Deps:
    """The issuer's identity and tools, built once per app in create_app."""

    clock: Clock
    keys: KeyRing
    numbers: NumberGenerator
    did: str
    base_url: str
    org_name: str
    org_name_en: str
    status_list_size: int
    pii: Fernet | None = None

    def today(self) -> date:
        """Return today's date in China (issue dates and expiry are Chinese calendar days)."""
        return self.clock.now().astimezone(CHINA).date()

    def verify_url(self, code: str) -> str:
        """Return the public verification page of a short code (the QR payload)."""
        return f"{self.base_url}/verify/{code}"

    def reveal_id(self, token: str | None) -> str | None:
        """Decrypt an ID number where the full number is needed; None if it cannot be."""
        if not token or self.pii is None:
            return None
        try:
            return self.pii.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
