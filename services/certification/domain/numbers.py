"""Certificate numbers: a pluggable generator, national (22 characters) or internal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

NATIONAL_RE = re.compile(r"^[YS]\d{21}$")
INTERNAL_RE = re.compile(r"^[A-Z]{1,6}-\d{4}-(?:L[1-5]-)?\d{6,}$")
MAX_SERIAL = 999_999


class NumberingError(ValueError):
    """A number cannot be made or does not follow its format."""


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
        raise NumberingError("a national number is Y or S and 21 digits")
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


@dataclass(frozen=True, slots=True)
class AssessmentBodyNumbers:
    """National numbers for skill levels; training certificates (no level) take internal ones."""

    national: NationalNumbers
    internal: InternalNumbers

    def counter(self, *, year: int, level: int | None) -> CounterKey:
        """Return the national counter of a level, or the internal one without a level."""
        if level is None:
            return self.internal.counter(year=year, level=None)
        return self.national.counter(year=year, level=level)

    def format(self, key: CounterKey, serial: int) -> str:
        """Return the number in the format the counter belongs to."""
        if key.prefix == self.internal.prefix:
            return self.internal.format(key, serial)
        return self.national.format(key, serial)
