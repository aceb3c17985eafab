"""Access tokens: EdDSA signatures, expiry, roles, and the `jiangxin token` command."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from shared.auth import TokenIssuer, TokenVerifier, generate_keypair
from shared.errors import Unauthorized
from shared.ids import new_id


def test_minted_token_verifies_to_the_same_principal(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    user = new_id()
    principal = verifier.verify(issuer.mint(user, "trainer", name="李老师"))
    assert (principal.user_id, principal.role, principal.name) == (user, "trainer", "李老师")


def test_token_signed_with_another_key_is_rejected(verifier: TokenVerifier) -> None:
    stranger = TokenIssuer(generate_keypair()[0], issuer="jiangxin", audience="jiangxin")
    with pytest.raises(Unauthorized) as err:
        verifier.verify(stranger.mint(new_id(), "admin"))
    assert err.value.code == "invalid_token"


def test_expired_token_is_rejected_with_its_own_code(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.mint(new_id(), "trainee", ttl_s=-120)
    with pytest.raises(Unauthorized) as err:
        verifier.verify(token)
    assert err.value.code == "token_expired"


def test_tampered_token_is_rejected(issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint(new_id(), "trainee")
    head, payload, signature = token.split(".")
    other = "A" if payload[10] != "A" else "B"  # a whole character of the claims changed
    forged = f"{head}.{payload[:10]}{other}{payload[11:]}.{signature}"
    with pytest.raises(Unauthorized):
        verifier.verify(forged)


def test_token_command_mints_a_token_the_services_accept(
    key_files: Path, verifier: TokenVerifier, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.cli import main

    user = new_id()
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "token",
                "--role",
                "admin",
                "--sub",
                str(user),
                "--key",
                str(key_files / "jwt-ed25519.pem"),
            ]
        )
    assert exit_.value.code == 0
    principal = verifier.verify(capsys.readouterr().out.strip())
    assert (principal.user_id, principal.role) == (user, "admin")


def test_a_cached_token_still_expires(issuer: TokenIssuer, keypair: tuple[bytes, bytes]) -> None:
    now = [time.time()]
    fresh = TokenVerifier(
        keypair[1], issuer="jiangxin", audience="jiangxin", cache_size=2, clock=lambda: now[0]
    )
    token = issuer.mint(new_id(), "trainee", ttl_s=60)
    assert fresh.verify(token).role == "trainee"
    assert fresh.verify(token).role == "trainee"  # from the cache
    now[0] += 61
    with pytest.raises(Unauthorized) as err:
        fresh.verify(token)
    assert err.value.code == "token_expired"


def test_token_living_longer_than_the_maximum_is_refused_with_its_own_code(
    issuer: TokenIssuer, keypair: tuple[bytes, bytes]
) -> None:
    verifier = TokenVerifier(keypair[1], issuer="jiangxin", audience="jiangxin",
                             max_lifetime_s=3600)
    assert verifier.verify(issuer.mint(new_id(), "admin", ttl_s=3600)).role == "admin"
    with pytest.raises(Unauthorized) as err:
        verifier.verify(issuer.mint(new_id(), "admin", ttl_s=3601))
    assert err.value.code == "token_lifetime_too_long"


def test_token_carries_the_users_token_version(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    assert verifier.verify(issuer.mint(new_id(), "trainer", version=3)).version == 3
