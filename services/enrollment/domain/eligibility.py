"""Who may take a (subsidised) place: each rule refuses with its own code. Pure, no I/O.

Rules come from the class (union members only) and its course (`CourseRules`); an
administrator's exception lets a trainee pass one rule. The same rules run when a trainee
looks before applying, when they apply or enrol, and again at the draw.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from shared.errors import Forbidden


class Rule(StrEnum):
    """The rules, by the problem code each refuses with."""

    UNION_MEMBERS_ONLY = "union_members_only"
    AGE_UNKNOWN = "age_unknown"
    AGE_OUT_OF_RANGE = "age_out_of_range"
    SUBSIDY_YEARLY_LIMIT = "subsidy_yearly_limit"
    SUBSIDY_REPEAT_LEVEL = "subsidy_repeat_level"
    LEVEL_BELOW_HELD = "level_below_held"


# The rule an exception names also waives the refusals that follow from it.
WAIVED_BY: dict[Rule, Rule] = {Rule.AGE_UNKNOWN: Rule.AGE_OUT_OF_RANGE}


@dataclass(frozen=True, slots=True)
class CourseRules:
    """A course's rules (levels: 5 lowest .. 1 highest; None for a training certificate)."""

    subsidised: bool = True
    min_age: int | None = None
    max_age: int | None = None
    max_subsidised_per_year: int = 2
    no_repeat_level: bool = True
    no_lower_level: bool = True
    level: int | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the platform knows of a trainee, as the rules need it."""

    union_member: bool
    birth_date: date | None
    subsidised_this_year: int = 0
    had_same_occupation_level: bool = False
    held_levels: Collection[int] = ()
    exceptions: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Refusal:
    """One rule the trainee does not meet."""

    code: Rule
    detail: str


def age_on(birth: date, day: date) -> int:
    """Return the age in whole years on a day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def refusals(
    facts: Facts, *, rules: CourseRules | None, union_members_only: bool, starts_on: date
) -> list[Refusal]:
    """Return every rule the trainee fails (an exception waives its rule)."""
    found = []
    if union_members_only and not facts.union_member:
        found.append(Refusal(Rule.UNION_MEMBERS_ONLY,
                             "This class is open to trade union members only."))
    if rules is not None:
        found += _age(facts, rules, starts_on) + _subsidy(facts, rules) + _level(facts, rules)
    return [r for r in found if not _waived(r.code, facts.exceptions)]


def _waived(code: Rule, exceptions: frozenset[str]) -> bool:
    return code.value in exceptions or (code in WAIVED_BY and WAIVED_BY[code] in exceptions)


def _age(facts: Facts, rules: CourseRules, starts_on: date) -> list[Refusal]:
    if rules.min_age is None and rules.max_age is None:
        return []
    if facts.birth_date is None:
        return [Refusal(Rule.AGE_UNKNOWN, "This course has an age limit: add your ID number or "
                                          "birth date to your profile.")]
    age = age_on(facts.birth_date, starts_on)
    low, high = rules.min_age or 0, rules.max_age if rules.max_age is not None else 200
    if low <= age <= high:
        return []
    return [Refusal(Rule.AGE_OUT_OF_RANGE,
                    f"This course takes trainees aged {low}-{high} on the first class day; "
                    f"you will be {age}.")]


def _subsidy(facts: Facts, rules: CourseRules) -> list[Refusal]:
    if not rules.subsidised:
        return []
    found = []
    if facts.subsidised_this_year >= rules.max_subsidised_per_year:
        found.append(Refusal(Rule.SUBSIDY_YEARLY_LIMIT,
                             f"You already have {facts.subsidised_this_year} subsidised "
                             f"training(s) this year; the limit is "
                             f"{rules.max_subsidised_per_year}."))
    if rules.no_repeat_level and facts.had_same_occupation_level:
        found.append(Refusal(Rule.SUBSIDY_REPEAT_LEVEL,
                             "You already had a subsidised training in this occupation and "
                             "level."))
    return found


def _level(facts: Facts, rules: CourseRules) -> list[Refusal]:
    if not rules.no_lower_level or rules.level is None or not facts.held_levels:
        return []
    best = min(facts.held_levels)  # 1 is the highest level
    if rules.level <= best:
        return []
    return [Refusal(Rule.LEVEL_BELOW_HELD,
                    f"You already hold level {best} in this occupation; this course is "
                    f"level {rules.level}.")]


def refused(found: Sequence[Refusal]) -> Forbidden | None:
    """Return the refusal of the first rule failed (the others listed beside it), else None."""
    if not found:
        return None
    first = found[0]
    return Forbidden(first.detail, code=first.code.value, also=[r.code.value for r in found[1:]])


def require_eligible(found: Sequence[Refusal]) -> None:
    """Refuse with the first rule failed (the others are listed beside it)."""
    if (refusal := refused(found)) is not None:
        raise refusal


def birth_date_of_id(id_type: str | None, number: str | None) -> date | None:
    """Return the birth date inside a mainland ID number (characters 7-14), else None."""
    if id_type != "resident_id" or not number or len(number) != 18:
        return None
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
