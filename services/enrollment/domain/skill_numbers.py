"""Numbers of skill certificates issued elsewhere that trainees record (issue 14).

The same rules as certification's national numbers (services share no code): 22 characters,
Y or S and 21 digits with the level digit (1-5) at position 16 and a serial other than 000000,
or a legacy 职业资格证书 number of 16 digits. Our own training numbers (JX-...) are refused.
"""

from __future__ import annotations

import re

from shared.errors import ValidationFailed

NATIONAL_RE = re.compile(r"^[YS]\d{21}$")
LEGACY_RE = re.compile(r"^\d{16}$")


def check_held_number(number: str, *, level: int) -> str:
    """Return the number, upper-cased, or raise ValidationFailed (invalid_national_number)."""
    cleaned = number.strip().upper()
    if LEGACY_RE.match(cleaned):
        return cleaned
    if not NATIONAL_RE.match(cleaned) or cleaned[15] not in "12345" or cleaned[16:] == "000000":
        raise ValidationFailed("A skill certificate number is 22 characters (Y or S and 21 "
                               "digits) or a 16-digit 职业资格证书 number.",
                               code="invalid_national_number")
    if int(cleaned[15]) != level:
        raise ValidationFailed("The number's level digit is not the level given.",
                               code="invalid_national_number")
    return cleaned
