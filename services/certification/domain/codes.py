"""Short verification codes: Crockford base32, easy to read aloud and type."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 10  # 50 bits: guessing a live code is hopeless at any request rate
_CODE_RE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
_TYPOS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    """Return a random verification code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """Return the canonical code typed by a person (case, hyphens, I/L/O mixed up), or None."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "").translate(_TYPOS)
    return cleaned if _CODE_RE.match(cleaned) else None
