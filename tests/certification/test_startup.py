"""Start-up refuses, in words, a key file that cannot open the signing keys already stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from services.certification.app import create_app
from shared.errors import StartupRefused
from shared.messaging.memory import InMemoryTransport
from shared.service import Overrides
from tests.certification.conftest import MakeApp
from tests.certification.factories import settings_for


async def test_another_signing_key_file_refuses_to_start_and_says_what_to_do(
    make_cert_app: MakeApp, pg_dsn: str, cert_keys: Path, tmp_path: Path
) -> None:
    first = await make_cert_app()  # stores a signing key sealed with the first key file
    assert first.settings.signing_key_secret_file.exists()
    other = tmp_path / "another-credential-signing.key"
    other.write_bytes(Fernet.generate_key())
    settings = settings_for(pg_dsn, first.settings.namespace, cert_keys,
                            signing_key_secret_file=other)
    app = create_app(settings, overrides=Overrides(transport=InMemoryTransport()))
    runner = web.AppRunner(app)
    try:
        refused = r"cannot be opened with .*another-credential"
        with pytest.raises(StartupRefused, match=refused) as info:
            await runner.setup()
        assert "Restore that file" in str(info.value)
    finally:
        await app.cleanup()
