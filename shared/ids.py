"""Identifiers: time-ordered UUIDv7 for messages and rows."""

from __future__ import annotations

from uuid import UUID

import uuid6


def new_id() -> UUID:
    """Return a new UUIDv7 (time-ordered, so indexes stay compact)."""
    return UUID(bytes=uuid6.uuid7().bytes)
