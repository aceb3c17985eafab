"""ID-number ciphers (Fernet, at rest and for transport) and keyed hashes of codes and phones."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


@dataclass(frozen=True)
class PiiCiphers:
    """Encrypt ID numbers at rest; re-encrypt them for certification under the transport key."""

    at_rest: Fernet
    transport: Fernet
    otp_key: bytes

    @classmethod
    def from_files(cls, *, at_rest: Path, transport: Path) -> PiiCiphers:
        """Load both Fernet keys; the sign-in code HMAC key is derived from the at-rest key."""
        at_rest_key = _read_key(at_rest)
        return cls(
            at_rest=Fernet(at_rest_key),
            transport=Fernet(_read_key(transport)),
            otp_key=hashlib.sha256(b"jiangxin-otp:" + at_rest_key).digest(),
        )

    def seal(self, number: str) -> str:
        """Encrypt an ID number for storage."""
        return self.at_rest.encrypt(number.encode()).decode()

    def open(self, token: str) -> str:
        """Decrypt a stored ID number."""
        try:
            return self.at_rest.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("stored ID number cannot be decrypted with the at-rest key") from None

    def for_transport(self, token: str) -> str:
        """Re-encrypt a stored ID number under the PII transport key."""
        return self.transport.encrypt(self.open(token).encode()).decode()

    def otp_hash(self, phone: str, code: str) -> str:
        """Return the keyed hash under which a sign-in code is stored."""
        return hmac.new(self.otp_key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()

    def phone_key(self, phone: str) -> str:
        """Return a keyed hash of a phone number, for records that must not hold the number."""
        return hmac.new(self.otp_key, f"phone:{phone}".encode(), hashlib.sha256).hexdigest()


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"key file {path} is missing: run `jiangxin keys` or set its *_key_file setting"
        ) from None
