"""Which changes to a trainee's identity need an administrator's confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WATCHED = ("name", "id_number")


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any], *, old_number: str | None,
    new_number: str | None,
) -> list[str]:
    """Return the identity fields a profile update really changes (setting a first value is not
    a change: there was nothing on record to differ from)."""
    fields = []
    name = after.get("name")
    if name is not None and before.get("name") and name != before["name"]:
        fields.append("name")
    if new_number is not None and old_number is not None and new_number != old_number:
        fields.append("id_number")
    return fields
