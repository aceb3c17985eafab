"""Background work of the certification service, as cleanup contexts: the signing key ring."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from cryptography.fernet import InvalidToken

from services.certification.deps import Deps
from services.certification.handlers.keys import add_key, load_keys
from services.certification.keys import DEPS, SETTINGS
from shared.errors import StartupRefused
from shared.logging import get_logger

log = get_logger(__name__)


async def signing_keys_ctx(app: web.Application) -> AsyncIterator[None]:
    """Create the first signing key if none is active, load the ring, refresh it periodically."""
    deps = app[DEPS]
    await add_key(deps.pool, deps.signing_secret, only_if_none=True)
    try:
        deps.keys.replace(await load_keys(deps.pool, deps.signing_secret))
    except InvalidToken:
        raise StartupRefused(
            f"the credential signing keys stored in this database cannot be opened with "
            f"{app[SETTINGS].signing_key_secret_file}: the database was set up with another key "
            "file. Restore that file (from the backup of var/keys), or, on a development "
            "machine only, drop the certification database so it starts afresh "
            "(dropdb -h 127.0.0.1 -U postgres jiangxin_certification)"
        ) from None
    refresh = asyncio.create_task(_refresh_keys(deps, app[SETTINGS].key_refresh_s),
                                  name="signing-keys-refresh")
    yield
    refresh.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresh


async def _refresh_keys(deps: Deps, interval: float) -> None:
    # Another instance (or `jiangxin credential-keys rotate`) may have added a key.
    while True:
        await asyncio.sleep(interval)
        try:
            deps.keys.replace(await load_keys(deps.pool, deps.signing_secret))
        except Exception as exc:
            log.warning("signing_keys_refresh_failed", error=repr(exc))
