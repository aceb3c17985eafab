"""Per-service key folders: `var/keys/<service>/` holds only the key files that service reads.

Which files a service holds follows from its settings: every `*_file` setting whose default lies
in `var/keys/<service>/`. A file several services hold (the JWT public key, the PII transport
key) is made once and copied; the public key is always derived from the private one. Files are
created with mode 0600 (folders 0700) and never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization

from shared.auth import generate_keypair
from shared.config import ServiceSettings
from shared.private_files import create_private_file

KEYS_DIR = Path("var/keys")
PRIVATE_JWT, PUBLIC_JWT = "jwt-signing.pem", "jwt-signing.pub.pem"
__all__ = ["KEYS_DIR", "PRIVATE_JWT", "PUBLIC_JWT", "holdings", "key_files", "make_keys"]
# The token key files' names of earlier releases, which held Ed25519 keys only. Such a key is
# renamed, not replaced: it keeps signing (EdDSA) and every token already out stays valid.
RENAMED = {"jwt-ed25519.pem": PRIVATE_JWT, "jwt-ed25519.pub.pem": PUBLIC_JWT}
# The flat layout of earlier releases: everything in var/keys/, read by every service.
FLAT = (*RENAMED, "pii-transport.key", "pii-at-rest.key", "credential-signing.key")


def key_files(settings: type[ServiceSettings]) -> set[str]:
    """Return the names of the key files a service's settings read from its own folder."""
    own = KEYS_DIR / settings.service_name
    return {default.name for field in settings.model_fields.values()
            if isinstance(default := field.default, Path) and default.parent == own}


def holdings(settings: Mapping[str, type[ServiceSettings]]) -> dict[str, set[str]]:
    """Return {service: key file names} for every service."""
    return {name: key_files(cls) for name, cls in settings.items()}


def _public_of(private_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _adopt_flat_layout(directory: Path, held: Mapping[str, set[str]]) -> list[str]:
    """Move the key files of the flat layout into the folders of the services that hold them."""
    moved = []
    for flat_name in FLAT:
        old, name = directory / flat_name, RENAMED.get(flat_name, flat_name)
        if not old.is_file():
            continue
        data = old.read_bytes()
        for service, names in held.items():
            if name in names and create_private_file(directory / service / name, data):
                moved.append(f"{service}/{name}")
            if name in names and (directory / service / name).read_bytes() != data:
                raise SystemExit(f"{old} differs from {directory / service / name}: keep one")
        old.unlink()
    return moved


def _adopt_old_names(directory: Path, held: Mapping[str, set[str]]) -> list[str]:
    """Rename each service's token key files from their names of earlier releases."""
    renamed = []
    for service in held:
        for old_name, name in RENAMED.items():
            old, new = directory / service / old_name, directory / service / name
            if old.is_file() and not new.exists():
                old.rename(new)
                renamed.append(f"{service}/{name}: renamed from {old_name}")
    return renamed


def _content(directory: Path, name: str, held: Mapping[str, set[str]]) -> tuple[bytes, bool]:
    """Return the one content of a key file (an existing copy, else a new key) and if it is new."""
    copies = {(directory / s / name).read_bytes() for s, names in held.items()
              if name in names and (directory / s / name).is_file()}
    if len(copies) > 1:
        raise SystemExit(f"{name} differs between the service folders in {directory}: keep one")
    if copies:
        return copies.pop(), False
    if name == PUBLIC_JWT:
        return _public_of(_content(directory, PRIVATE_JWT, held)[0]), True
    if name == PRIVATE_JWT:
        return generate_keypair()[0], True
    return Fernet.generate_key(), True


def make_keys(directory: Path, held: Mapping[str, set[str]]) -> list[str]:
    """Create every missing key file in every service's folder; return what was done."""
    done = [f"{path}: moved from {directory}" for path in _adopt_flat_layout(directory, held)]
    done += _adopt_old_names(directory, held)
    # The private key first: the public key is derived from it.
    names = sorted(set().union(*held.values()), key=lambda n: (n != PRIVATE_JWT, n))
    for name in names:
        data, new = _content(directory, name, held)
        for service, wanted in held.items():
            if name in wanted and create_private_file(directory / service / name, data):
                done.append(f"{service}/{name}: {'created' if new else 'copied'}")
    return done
