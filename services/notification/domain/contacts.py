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
# 11 digits starting 13-19, bare or after +86, but not 179 (a prefix parse() may strip in CN).
_CN_PLAIN = re.compile(r"(?:\+86)?(1(?:[3-689][0-9]|7[0-8])[0-9]{8})")


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
    if region == "CN" and (plain := _CN_PLAIN.fullmatch(text)):
        # What parse() returns for this shape (no national prefix to strip), without its cost.
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(plain[1]))
    else:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return PhoneCheck(None, "malformed_number")
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when is_valid_number is False
    if kind == PhoneNumberType.UNKNOWN:
        return PhoneCheck(None, "invalid_number")
    if kind not in _SMS_TYPES:
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


@functools.lru_cache(maxsize=8192)
def normalise_email(raw: str | None) -> str | None:
    """Return the address with its domain lower-cased, or None when it is not an address.

    Cached like `check_mobile`: planning one message asks this about the same address twice.
    """
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
