"""`jiangxin` sub-commands of the certification service: verify, credential-keys, credentials."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

import asyncpg
import jwt
from cryptography.fernet import Fernet

from services.certification.config import Settings
from services.certification.credentials import vc
from services.certification.credentials.did import did_document_url
from services.certification.credentials.verify import (
    CredentialInvalid,
    credential_text,
    verify_credential,
)
from services.certification.deps import Secrets, build_deps, read_fernet
from services.certification.handlers.credentials import upgrade_credentials
from services.certification.handlers.keys import load_keys, rotate
from shared.clock import SystemClock
from shared.db import create_pool
from shared.messaging.outbox import OutboxWriter
from shared.messaging.uow import uow_factory

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Commands) -> None:
    """Add this service's commands to the `jiangxin` parser."""
    p = commands.add_parser(
        "verify", help="verify a certificate credential offline (DID document + status lists)")
    p.add_argument("file", type=Path, help="the VC-JWT, or the JSON GET /credential returned")
    p.add_argument("--did-document", metavar="FILE_OR_URL",
                   help="the issuer's DID document (default: fetched from its did:web URL)")
    p.add_argument("--status-list", action="append", default=[], metavar="FILE_OR_URL",
                   help="a status list credential (repeatable); lists not given are fetched")
    p.add_argument("--no-status", action="store_true", help="skip the status lists")
    p.add_argument("--offline", action="store_true", help="never fetch anything")
    p.add_argument("--at", help="verify as of this ISO time (default: now)")
    p.set_defaults(func=_verify)

    p = commands.add_parser("credential-keys", help="list or rotate the credential signing keys")
    p.add_argument("action", choices=["list", "rotate"])
    p.add_argument("--retire-old", action="store_true",
                   help="with rotate: stop signing with older keys (they still verify)")
    p.set_defaults(func=lambda a: asyncio.run(_keys(a.action, a.retire_old)))

    p = commands.add_parser("credentials", help="re-sign stored credentials")
    p.add_argument("action", choices=["upgrade"],
                   help="upgrade: re-sign every credential still in the previous VC-JWT "
                        "encoding (the `vc` claim) as an OB 3.0 VC-JWT; safe to rerun")
    p.add_argument("--batch", type=int, default=200, help="certificates read at a time")
    p.set_defaults(func=lambda a: asyncio.run(_upgrade(a.batch)))


def _read(source: str) -> str:
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Accept": "application/vc+jwt, */*"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(response.read().decode())
    return Path(source).read_text(encoding="utf-8")


def _list_url(text: str) -> str | None:
    """Return the URL a status list credential names as its id (None when it is no JWT)."""
    try:
        listed = vc.credential_of(vc.unverified_claims(text.strip()))
    except jwt.InvalidTokenError:
        return None
    url = listed.get("id")
    return url if isinstance(url, str) else None


def _verify(args: argparse.Namespace) -> int:
    try:
        token = credential_text(args.file.read_text(encoding="utf-8"))
        iss = vc.unverified_claims(token).get("iss", "")
    except (CredentialInvalid, OSError, ValueError) as exc:
        print(json.dumps({"signature_valid": False, "status": "invalid", "errors": [str(exc)]}))
        return 2
    if args.did_document:
        document = json.loads(_read(args.did_document))
    elif args.offline:
        print("--offline needs --did-document", file=sys.stderr)
        return 2
    else:
        document = json.loads(_read(did_document_url(iss)))
    given: dict[str, str] = {}
    for source in args.status_list:
        text = _read(source)
        given[_list_url(text) or source] = text

    def fetch(url: str) -> str:
        if url in given:
            return given[url]
        if args.offline:
            raise OSError(f"status list {url} not given (offline)")
        return _read(url)

    now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    result = verify_credential(token, document, fetch_list=None if args.no_status else fetch,
                               now=now)
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
    return 0 if result.status == "valid" else 1


@asynccontextmanager
async def _signing() -> AsyncIterator[tuple[Settings, Fernet, asyncpg.Pool]]:
    settings = Settings()
    secret = read_fernet(settings.signing_key_secret_file, create=False)
    if secret is None:
        raise SystemExit(f"no signing key secret at {settings.signing_key_secret_file}")
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        yield settings, secret, pool
    finally:
        await pool.close()


async def _keys(action: str, retire_old: bool) -> None:
    async with _signing() as (_settings, secret, pool):
        if action == "rotate":
            print(f"new signing key: {await rotate(pool, secret, retire_old=retire_old)}")
        for key in await load_keys(pool, secret):
            state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "active"
            print(f"{key.kid}\tcreated {key.created_at:%Y-%m-%d %H:%M}\t{state}")


async def _upgrade(batch: int) -> int:
    async with _signing() as (settings, secret, pool):
        deps = build_deps(settings, uows=uow_factory(pool, OutboxWriter(settings.service_name)),
                          pool=pool, read_pool=pool, clock=SystemClock(),
                          secrets=Secrets(signing=secret, pii=None), pdf_font="")
        deps.keys.replace(await load_keys(pool, secret))
        counts = await upgrade_credentials(deps, batch=batch)
    print(f"upgraded {counts.upgraded}, already current {counts.current}, "
          f"unreadable {counts.unreadable}")
    return 1 if counts.unreadable else 0
