"""Normalise and check phone numbers and email addresses before any provider sees them."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    """A phone number in E.164 when it can take an SMS, else the reason it cannot."""

    e164: str | None
    problem: str | None = None


@functools.lru_cache(maxsize=8192)
def check_mobile(raw: str | None, *, region: str = "CN") -> PhoneCheck:
    """Return the E.164 form of a valid mobile number, or why it gets no SMS.

    Cached: parsing with phonenumbers costs more than the rest of planning a message, and the
    same trainee's number is checked for every event about them.
    """
    if not raw or not raw.strip():
        return PhoneCheck(None, "no_phone")
    text = unicodedata.normalize("NFKC", raw).strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return PhoneCheck(None, "malformed_number")
    if not phonenumbers.is_valid_number(number):
        return PhoneCheck(None, "invalid_number")
    if phonenumbers.number_type(number) not in _SMS_TYPES:
        return PhoneCheck(None, "not_mobile")
    return PhoneCheck(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_phone(raw: str, *, region: str = "CN") -> str | None:
    """Return any valid number (mobile or not) in E.164, or None (for look-ups)."""
    try:
        number = phonenumbers.parse(unicodedata.normalize("NFKC", raw).strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str | None) -> str | None:
    """Return the address with its domain lower-cased, or None when it is not an address."""
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not _EMAIL.match(text) or len(text) > 254:
        return None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def national_digits(e164: str) -> str:
    """Return a number as Aliyun wants it: 11 digits in mainland China, else with country code."""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 86:
        return str(number.national_number)
    return f"{number.country_code}{number.national_number}"
