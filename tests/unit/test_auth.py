"""Access tokens: RS256 signatures (EdDSA for older keys), expiry, roles, `jiangxin token`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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


def test_new_keys_are_rsa_2048_and_sign_rs256(issuer: TokenIssuer) -> None:
    private = serialization.load_pem_private_key(generate_keypair()[0], password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert jwt.get_unverified_header(issuer.mint(new_id(), "trainee"))["alg"] == "RS256"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_token_naming_another_algorithm_is_refused_even_when_its_mac_matches(
    keypair: tuple[bytes, bytes], verifier: TokenVerifier
) -> None:
    # The classic confusion: HS256 "signed" with the public key as the HMAC secret.
    now = int(time.time())
    claims = {"sub": str(new_id()), "role": "admin", "iss": "jiangxin", "aud": "jiangxin",
              "iat": now, "exp": now + 600}
    signing_input = (_b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "."
                     + _b64(json.dumps(claims).encode()))
    mac = hmac.new(keypair[1], signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthorized) as err:
        verifier.verify(f"{signing_input}.{_b64(mac)}")
    assert err.value.code == "invalid_token"


def test_an_rsa_key_shorter_than_2048_bits_is_refused() -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = short.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    with pytest.raises(ValueError, match="2048"):
        TokenIssuer(pem, issuer="jiangxin", audience="jiangxin")


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
                str(key_files / "jwt-signing.pem"),
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
