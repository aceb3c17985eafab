"""Certificate numbers: national (22 characters) for skill-level certificates of a registered
evaluation organisation, our own format for training certificates, and the validator of
national numbers issued elsewhere (22 characters, or the legacy 16 digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

NATIONAL_RE = re.compile(r"^[YS]\d{21}$")
# Older 职业资格证书 numbers: 16 digits (some cities 13 digits padded with 000).
LEGACY_RE = re.compile(r"^\d{16}$")
INTERNAL_RE = re.compile(r"^[A-Z]{1,6}-\d{4}-(?:L[1-5]-)?\d{6,}$")
MAX_SERIAL = 999_999
Kind = Literal["training", "skill_level"]


class NumberingError(ValueError):
    """A number cannot be made or does not follow its format."""

    def __init__(self, message: str, *, code: str = "numbering_failed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class CounterKey:
    """The counter a serial is drawn from: one per (prefix, year, level)."""

    prefix: str
    year: int
    level: int


class NumberGenerator(Protocol):
    """Make certificate numbers from a serial drawn from the generator's counter."""

    def counter(self, *, year: int, level: int | None) -> CounterKey:
        """Return the counter whose next serial the number will carry."""
        ...

    def format(self, key: CounterKey, serial: int) -> str:
        """Return the number for a serial of that counter."""
        ...


@dataclass(frozen=True, slots=True)
class NationalNumbers:
    """`^[YS]\\d{21}$`: kind, agency(4), province(2), site(6), year(2), level(1), serial(6)."""

    kind: Literal["Y", "S"]
    agency: str
    province: str
    site: str

    def counter(self, *, year: int, level: int | None) -> CounterKey:
        """Return the counter of a year and level (national numbers need a level)."""
        if level is None or not 1 <= level <= 5:
            raise NumberingError("a national certificate needs a skill level 1-5")
        if not 2000 <= year <= 2099:
            raise NumberingError(f"year {year} cannot be written in two digits")
        prefix = f"{self.kind}{self.agency}{self.province}{self.site}"
        return CounterKey(prefix=prefix, year=year, level=level)

    def format(self, key: CounterKey, serial: int) -> str:
        """Return the 22-character number."""
        if not 1 <= serial <= MAX_SERIAL:
            raise NumberingError("the serial range of this year and level is used up")
        number = f"{key.prefix}{key.year % 100:02d}{key.level}{serial:06d}"
        validate_national(number)
        return number


@dataclass(frozen=True, slots=True)
class InternalNumbers:
    """`JX-2026-000123` (training certificates) or `JX-2026-L4-000123` (with a level)."""

    prefix: str = "JX"

    def counter(self, *, year: int, level: int | None) -> CounterKey:
        """Return the counter of a year and level (0 for training certificates)."""
        return CounterKey(prefix=self.prefix, year=year, level=level or 0)

    def format(self, key: CounterKey, serial: int) -> str:
        """Return the internal number."""
        level = f"L{key.level}-" if key.level else ""
        return f"{key.prefix}-{key.year:04d}-{level}{serial:06d}"


def validate_national(number: str, *, year: int | None = None, level: int | None = None) -> None:
    """Raise NumberingError unless `number` is a well-formed national number."""
    if not NATIONAL_RE.match(number):
        raise NumberingError("a national number is Y or S and 21 digits",
                             code="invalid_national_number")
    if number[15] not in "12345":
        raise NumberingError("the level digit must be 1-5")
    if level is not None and int(number[15]) != level:
        raise NumberingError("the level digit does not match the level")
    if year is not None and number[13:15] != f"{year % 100:02d}":
        raise NumberingError("the year digits do not match the issue year")
    if number[16:] == "000000":
        raise NumberingError("serial 000000 is not issued")


def looks_like_number(text: str) -> bool:
    """Tell whether typed text is a certificate number rather than a short code."""
    return bool(NATIONAL_RE.match(text) or INTERNAL_RE.match(text))


def looks_national(number: str) -> bool:
    """Tell whether a number has a national shape (22 characters or the legacy 16 digits)."""
    return bool(NATIONAL_RE.match(number) or LEGACY_RE.match(number))


def validate_held(number: str, *, level: int | None = None) -> Literal["national", "legacy"]:
    """Check a national number issued elsewhere that a trainee records; return its format.

    22 characters as validate_national says (level digit matching `level` when given), or a
    legacy 职业资格证书 number of 16 digits (13 digits are padded with 000 by the caller).
    """
    cleaned = number.strip().upper()
    if LEGACY_RE.match(cleaned):
        return "legacy"
    if not NATIONAL_RE.match(cleaned):
        raise NumberingError("a skill certificate number is 22 characters (Y or S and 21 "
                             "digits) or a 16-digit 职业资格证书 number",
                             code="invalid_national_number")
    validate_national(cleaned, level=level)
    return "national"


def level_of_held(
    number: str, number_format: Literal["national", "legacy"], *, level: int | None
) -> int | None:
    """Return a held certificate's level: the one given, else a national number's level digit."""
    if level is not None or number_format == "legacy":
        return level
    return int(number[15])


@dataclass(frozen=True, slots=True)
class KindNumbers:
    """Numbers by certificate kind: training ones internal, skill-level ones national.

    `national` is None unless the platform is a registered evaluation organisation; it issues
    national numbers only for the levels it is filed for.
    """

    internal: InternalNumbers
    national: NationalNumbers | None = None
    filed_levels: frozenset[int] = frozenset(range(1, 6))

    def counter(self, *, kind: Kind, year: int, level: int | None) -> CounterKey:
        """Return the counter a certificate of this kind and level draws from."""
        if kind == "training":
            return self.internal.counter(year=year, level=level)
        if self.national is None:
            raise NumberingError("national numbers are issued only by a registered evaluation "
                                 "organisation", code="not_assessment_body")
        if level is not None and level not in self.filed_levels:
            raise NumberingError(f"this organisation is not filed to assess level {level}",
                                 code="level_not_filed")
        return self.national.counter(year=year, level=level)

    def format(self, key: CounterKey, serial: int) -> str:
        """Return the number in the format the counter belongs to (never a national shape
        for an internal one)."""
        if self.national is None or key.prefix == self.internal.prefix:
            number = self.internal.format(key, serial)
            assert not looks_national(number)
            return number
        return self.national.format(key, serial)
