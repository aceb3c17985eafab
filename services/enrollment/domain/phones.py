"""Phone numbers: parse, validate and store as E.164 (mainland China by default)."""

from __future__ import annotations

import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

from shared.errors import ValidationFailed

DEFAULT_REGION = "CN"
_SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def normalise_phone(raw: str, *, require_mobile: bool = False) -> str:
    """Return the E.164 form of a phone number; refuse invalid ones (and landlines if asked)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text or len(text) > 32:
        raise ValidationFailed("Enter a valid phone number.", code="invalid_phone")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationFailed("Enter a valid phone number.", code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("Enter a valid phone number.", code="invalid_phone")
    if require_mobile and phonenumbers.number_type(number) not in _SMS_TYPES:
        raise ValidationFailed(
            "This number cannot receive text messages; use a mobile number.",
            code="phone_not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Tell whether a stored E.164 number can receive SMS."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in _SMS_TYPES


def region_of(e164: str) -> str:
    """Return the ISO 3166 region of an E.164 number ("CN"; "ZZ" when unknown)."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or "ZZ"


def block_of(e164: str) -> str:
    """Return a number's block: itself without its last four digits (10,000 numbers)."""
    return e164[:-4]
