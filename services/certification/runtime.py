"""The certification app's resources and their lifecycles (cleanup contexts)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import jinja2
from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken

from services.certification.config import Settings
from services.certification.credentials.did import did_web
from services.certification.credentials.keys import KeyRing
from services.certification.deps import Deps
from services.certification.domain.numbers import (
    AssessmentBodyNumbers,
    InternalNumbers,
    NationalNumbers,
    NumberGenerator,
)
from services.certification.handlers.keys import add_key, load_keys
from services.certification.keys import DEPS, READ_POOL, SETTINGS, SIGNING_SECRET
from shared.clock import Clock, SystemClock
from shared.db import keep_session
from shared.errors import StartupRefused
from shared.logging import get_logger
from shared.web.keys import POOL

log = get_logger(__name__)

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
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
        log.warning("key_file_created", path=str(path))
    return Fernet(path.read_bytes().strip())


def build_issuing(settings: Settings, *, clock: Clock | None = None) -> Deps:
    """Return the issuer's tools from settings (the key ring is filled on start)."""
    pii = read_fernet(settings.pii_transport_key_file, create=False)
    if pii is None:
        log.warning("pii_transport_key_missing", path=str(settings.pii_transport_key_file))
    base_url = settings.public_base_url.rstrip("/")
    return Deps(
        clock=clock or SystemClock(), keys=KeyRing(), numbers=number_generator(settings),
        did=did_web(base_url), base_url=base_url, org_name=settings.org_name,
        org_name_en=settings.org_name_en, status_list_size=settings.status_list_size, pii=pii,
    )


def templates() -> jinja2.Environment:
    """Return the page templates (autoescaped)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, enable_async=False,
    )


async def signing_keys_ctx(app: web.Application) -> AsyncIterator[None]:
    """Create the first signing key if none is active, load the ring, refresh it periodically."""
    secret = app[SIGNING_SECRET]
    pool = app[POOL]
    await add_key(pool, secret, only_if_none=True)
    ring = app[DEPS].keys
    try:
        ring.replace(await load_keys(pool, secret))
    except InvalidToken:
        raise StartupRefused(
            f"the credential signing keys stored in this database cannot be opened with "
            f"{app[SETTINGS].signing_key_secret_file}: the database was set up with another key "
            "file. Restore that file (from the backup of var/keys), or, on a development "
            "machine only, drop the certification database so it starts afresh "
            "(dropdb -h 127.0.0.1 -U postgres jiangxin_certification)"
        ) from None
    refresh = asyncio.create_task(_refresh_keys(app), name="signing-keys-refresh")
    yield
    refresh.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresh


async def _refresh_keys(app: web.Application) -> None:
    # Another instance (or `jiangxin credential-keys rotate`) may have added a key.
    interval = app[SETTINGS].key_refresh_s
    while True:
        await asyncio.sleep(interval)
        try:
            app[DEPS].keys.replace(await load_keys(app[POOL], app[SIGNING_SECRET]))
        except Exception as exc:
            log.warning("signing_keys_refresh_failed", error=repr(exc))


async def _decode_json(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def read_pool_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the pool of the public, read-only endpoints (verification, DID, status lists)."""
    settings = app[SETTINGS]
    pool = await asyncpg.create_pool(
        settings.database_url, min_size=1, max_size=settings.db_pool_max, init=_decode_json,
        reset=keep_session, command_timeout=10, max_inactive_connection_lifetime=60,
    )
    app[READ_POOL] = pool
    yield
    await pool.close()
