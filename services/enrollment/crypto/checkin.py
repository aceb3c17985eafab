"""The key that signs check-in codes, derived from the at-rest key every instance shares."""

from __future__ import annotations

import hashlib
from pathlib import Path


def checkin_key(at_rest_key_file: Path) -> bytes:
    """Return the HMAC key of check-in codes (every instance derives the same one)."""
    return hashlib.sha256(b"jiangxin-checkin:" + at_rest_key_file.read_bytes().strip()).digest()
