"""What the use cases of the certification service receive, and how it is built from settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from cryptography.fernet import Fernet, InvalidToken

from services.certification.config import Settings
from services.certification.credentials.did import did_web
from services.certification.credentials.keys import KeyRing
from services.certification.credentials.status_list import SignedLists
from services.certification.domain.numbers import (
    AssessmentBodyNumbers,
    InternalNumbers,
    NationalNumbers,
    NumberGenerator,
)
from shared.clock import Clock
from shared.logging import get_logger
from shared.messaging.uow import UowFactory
from shared.private_files import create_private_file

log = get_logger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Deps:
    """Transactions, pools, time, the issuer's keys, numbering and identity; built in app.py."""

    uows: UowFactory
    pool: asyncpg.Pool
    read_pool: asyncpg.Pool  # the public, read-only endpoints (verification, DID, status lists)
    clock: Clock
    keys: KeyRing  # filled on start and refreshed (jobs.py)
    signing_secret: Fernet  # opens the signing keys stored in the database
    numbers: NumberGenerator
    did: str
    base_url: str
    org_name: str
    org_name_en: str
    status_list_size: int
    status_lists: SignedLists  # signed copies kept until they change or half their life is gone
    pdf_font: str
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


@dataclass(frozen=True, slots=True)
class Secrets:
    """The key files a certification process reads before it starts."""

    signing: Fernet
    pii: Fernet | None

    @classmethod
    def read(cls, settings: Settings) -> Secrets:
        """Read the key files (the signing secret is made when missing)."""
        pii = read_fernet(settings.pii_transport_key_file, create=False)
        if pii is None:
            log.warning("pii_transport_key_missing", path=str(settings.pii_transport_key_file))
        signing = read_fernet(settings.signing_key_secret_file, create=True)
        assert signing is not None
        return cls(signing=signing, pii=pii)


def build_deps(
    settings: Settings, *, uows: UowFactory, pool: asyncpg.Pool, read_pool: asyncpg.Pool,
    clock: Clock, secrets: Secrets, pdf_font: str,
) -> Deps:
    """Return the use cases' dependencies (the key ring is filled on start)."""
    base_url = settings.public_base_url.rstrip("/")
    return Deps(
        uows=uows, pool=pool, read_pool=read_pool, clock=clock, keys=KeyRing(),
        signing_secret=secrets.signing, numbers=number_generator(settings),
        did=did_web(base_url), base_url=base_url, org_name=settings.org_name,
        org_name_en=settings.org_name_en, status_list_size=settings.status_list_size,
        status_lists=SignedLists(timedelta(seconds=settings.status_list_ttl_s)),
        pdf_font=pdf_font, pii=secrets.pii,
    )


def number_generator(settings: Settings) -> NumberGenerator:
    """Return the national generator for an assessment body, the internal one otherwise."""
    internal = InternalNumbers(prefix=settings.internal_number_prefix)
    if settings.assessment_body:
        national = NationalNumbers(kind=settings.assessment_kind, agency=settings.agency_code,
                                   province=settings.province_code, site=settings.site_code)
        return AssessmentBodyNumbers(national=national, internal=internal)
    return internal


def read_fernet(path: Path, *, create: bool) -> Fernet | None:
    """Return the Fernet key in a file (made when `create` and missing), or None."""
    if not path.exists():
        if not create:
            return None
        if create_private_file(path, Fernet.generate_key()):
            log.warning("key_file_created", path=str(path))
    return Fernet(path.read_bytes().strip())
