"""All writing SQL of the enrollment service, one module per aggregate."""

from __future__ import annotations

from typing import Any, Protocol


class Row(Protocol):
    """A database row (asyncpg.Record) or a dict standing in for one."""

    def __getitem__(self, key: str, /) -> Any:
        """Return a column's value."""
