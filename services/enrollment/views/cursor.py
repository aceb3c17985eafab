"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii

from shared.errors import ValidationFailed


def encode_cursor(*parts: object) -> str:
    """Return an opaque cursor for the last row of a page."""
    text = "|".join(str(p) for p in parts)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> list[str]:
    """Return the parts of a cursor made by `encode_cursor`; refuse anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None
    values = text.split("|")
    if len(values) != parts:
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor")
    return values
