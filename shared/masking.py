"""Mask personal data (PIPL) before it reaches logs or public pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PHONE_KEYS = frozenset({"phone", "mobile", "recipient_phone", "to_phone"})
_EMAIL_KEYS = frozenset({"email", "recipient_email", "to_email"})
_ID_KEYS = frozenset({"id_number", "id_card"})
_SECRET_KEYS = frozenset({"password", "code", "otp", "token", "access_token", "secret"})
_EMAIL_RE = re.compile(r"^([^@]+)@(.+)$")
# Every key whose value mask_value changes (lower case).
MASKED_KEYS = _PHONE_KEYS | _EMAIL_KEYS | _ID_KEYS | _SECRET_KEYS


def mask_phone(phone: str | None) -> str:
    """Mask a phone number as 138****8000 (keeps the country code of E.164 numbers)."""
    if not phone:
        return ""
    digits = phone.strip()
    prefix = ""
    if digits.startswith("+86"):
        prefix, digits = "+86", digits[3:]
    elif digits.startswith("+"):
        prefix, digits = digits[:3], digits[3:]
    if len(digits) <= 4:
        return prefix + "*" * len(digits)
    keep_head = 3 if len(digits) >= 8 else 1
    return prefix + digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_email(email: str | None) -> str:
    """Mask an email address as z***@example.com."""
    if not email:
        return ""
    match = _EMAIL_RE.match(email.strip())
    if not match:
        return "***"
    local, domain = match.groups()
    return f"{local[0]}***@{domain}"


def mask_id_number(number: str | None) -> str:
    """Mask an ID number as 4601**********1234 (first 4 and last 4 kept)."""
    if not number:
        return ""
    number = number.strip()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str | None) -> str:
    """Mask a personal name as 张*三 (first and last character kept)."""
    if not name:
        return ""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_value(key: str, value: str) -> str:
    """Return a field's value masked as its key says (phone, email, ID, secret), else as is."""
    lowered = key.lower()
    if lowered in _PHONE_KEYS:
        return mask_phone(value)
    if lowered in _EMAIL_KEYS:
        return mask_email(value)
    if lowered in _ID_KEYS:
        return mask_id_number(value)
    if lowered in _SECRET_KEYS:
        return "***"
    return value


def mask_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy with phone, email, ID and secret fields masked, recursing into dicts."""
    masked: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            masked[key] = mask_fields(value)
        elif isinstance(value, str):
            masked[key] = mask_value(key, value)
        else:
            masked[key] = value
    return masked
