"""The pure rules of issue 17: the draw order, allocation, re-checking a published draw, the
eligibility rules and the survey's follow-up date."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from services.enrollment.domain import lottery
from services.enrollment.domain.eligibility import (
    CourseRules,
    Facts,
    Rule,
    age_on,
    birth_date_of_id,
    refusals,
)
from services.enrollment.domain.survey import followup_due, normalise_code
from shared.errors import Conflict, ValidationFailed

SEED = bytes(range(32))
IDS = [UUID(int=i) for i in range(1, 41)]
START = date(2026, 3, 2)


def published(seats: int, ineligible: frozenset[UUID] = frozenset(),
              groups: dict[UUID, int] | None = None) -> dict[str, Any]:
    """The public document of a draw of IDS, as the service publishes it."""
    entries = [lottery.Entry(i, (groups or {}).get(i, 0)) for i in IDS]
    placed = lottery.allocate(lottery.draw_order(SEED, entries), seats=seats,
                              eligible=set(IDS) - ineligible)
    return {
        "algorithm": lottery.ALGORITHM, "seed": SEED.hex(),
        "commitment": lottery.commitment(SEED), "applications": len(IDS), "seats": seats,
        "entries": [{"application_id": str(p.entry.application_id), "group": p.entry.group,
                     "rank": p.rank, "outcome": p.outcome, "name_masked": "张*"}
                    for p in placed],
    }


def test_the_order_is_the_hmac_of_each_id_under_the_seed_priority_group_first() -> None:
    groups = {i: (0 if n % 3 == 0 else 1) for n, i in enumerate(IDS)}
    ordered = lottery.draw_order(SEED, [lottery.Entry(i, groups[i]) for i in reversed(IDS)])
    assert [e.group for e in ordered] == sorted(groups.values())
    zero = [e.application_id for e in ordered if e.group == 0]
    assert zero == sorted(zero, key=lambda i: lottery.ticket(SEED, i))
    assert lottery.draw_order(bytes(32), [lottery.Entry(i) for i in IDS]) != \
        lottery.draw_order(SEED, [lottery.Entry(i) for i in IDS])


def test_offers_go_to_the_first_eligible_and_the_rest_queue_in_rank_order() -> None:
    ordered = [lottery.Entry(i) for i in IDS[:6]]
    placed = lottery.allocate(ordered, seats=2, eligible={IDS[1], IDS[2], IDS[4], IDS[5]})
    assert [(p.outcome, p.waitlist_position) for p in placed] == [
        ("ineligible", None), ("offered", None), ("offered", None), ("ineligible", None),
        ("waitlisted", 1), ("waitlisted", 2)]
    assert [p.rank for p in placed] == [1, 2, 3, 4, 5, 6]


def test_a_faithful_document_verifies() -> None:
    doc = published(5, ineligible=frozenset({IDS[3]}), groups={IDS[7]: 1})
    assert lottery.verify_document(doc).ok


@pytest.mark.parametrize("tamper", [
    "seed", "dropped", "swapped", "outcome", "group", "commitment"])
def test_any_change_to_a_published_draw_is_found(tamper: str) -> None:
    doc = published(5)
    bad = copy.deepcopy(doc)
    rows = bad["entries"]
    if tamper == "seed":
        bad["seed"] = bytes(32).hex()
    elif tamper == "dropped":
        del rows[10]
    elif tamper == "swapped":
        rows[0]["rank"], rows[1]["rank"] = rows[1]["rank"], rows[0]["rank"]
    elif tamper == "outcome":
        rows[6]["outcome"] = "offered"
    elif tamper == "group":
        rows[-1]["group"] = -1  # moving someone to the front breaks the recomputed ranks
    else:
        bad["commitment"] = "0" * 64
    assert not lottery.verify_document(bad).ok


def test_a_draw_needs_a_reason_before_the_close_and_never_happens_twice() -> None:
    window = lottery.LotteryWindow(opens_at=datetime(2026, 3, 1, tzinfo=UTC),
                                   closes_at=datetime(2026, 3, 5, tzinfo=UTC), drawn=False,
                                   cancelled=False)
    early = datetime(2026, 3, 3, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        lottery.check_can_draw(window, now=early, early_reason="too short")
    lottery.check_can_draw(window, now=early, early_reason="supervisors present today")
    lottery.check_can_draw(window, now=window.closes_at, early_reason=None)
    drawn = lottery.LotteryWindow(window.opens_at, window.closes_at, drawn=True, cancelled=False)
    with pytest.raises(Conflict):
        lottery.check_can_draw(drawn, now=window.closes_at, early_reason=None)


def test_age_counts_whole_years_on_the_first_class_day() -> None:
    assert age_on(date(1966, 3, 2), START) == 60
    assert age_on(date(1966, 3, 3), START) == 59
    assert birth_date_of_id("resident_id", "11010519660302123X") == date(1966, 3, 2)
    assert birth_date_of_id("passport", "E12345678") is None
    assert birth_date_of_id("resident_id", "110105196613021234") is None


def codes(facts: Facts, rules: CourseRules | None, union_only: bool = False) -> list[Rule]:
    return [r.code for r in refusals(facts, rules=rules, union_members_only=union_only,
                                     starts_on=START)]


def test_each_rule_refuses_with_its_code_and_an_exception_waives_only_its_rule() -> None:
    rules = CourseRules(min_age=16, max_age=60, max_subsidised_per_year=2, level=4)
    ok = Facts(union_member=True, birth_date=date(1990, 1, 1))
    assert codes(ok, rules, union_only=True) == []
    assert codes(Facts(union_member=False, birth_date=None), None, union_only=True) == [
        Rule.UNION_MEMBERS_ONLY]
    assert codes(Facts(union_member=True, birth_date=None), rules) == [Rule.AGE_UNKNOWN]
    assert codes(Facts(union_member=True, birth_date=date(2011, 1, 1)), rules) == [
        Rule.AGE_OUT_OF_RANGE]
    busy = Facts(union_member=True, birth_date=date(1990, 1, 1), subsidised_this_year=2,
                 had_same_occupation_level=True, held_levels=(3,))
    assert codes(busy, rules) == [Rule.SUBSIDY_YEARLY_LIMIT, Rule.SUBSIDY_REPEAT_LEVEL,
                                  Rule.LEVEL_BELOW_HELD]
    waived = Facts(union_member=True, birth_date=date(1990, 1, 1), subsidised_this_year=2,
                   had_same_occupation_level=True, held_levels=(3,),
                   exceptions=frozenset({"subsidy_yearly_limit"}))
    assert codes(waived, rules) == [Rule.SUBSIDY_REPEAT_LEVEL, Rule.LEVEL_BELOW_HELD]
    # A level held at or below the course's does not refuse; an unsubsidised course has no
    # subsidy rules.
    assert codes(Facts(union_member=True, birth_date=date(1990, 1, 1), held_levels=(4, 5)),
                 rules) == []
    assert codes(busy, CourseRules(subsidised=False, level=4, no_lower_level=False)) == []


def test_the_follow_up_comes_six_calendar_months_after_completion() -> None:
    assert followup_due(datetime(2026, 8, 31, 9, tzinfo=UTC)) == datetime(2027, 2, 28, 9,
                                                                            tzinfo=UTC)
    assert followup_due(datetime(2026, 3, 15, tzinfo=UTC)) == datetime(2026, 9, 15, tzinfo=UTC)
    assert normalise_code(" k7p2-qx9m ") == "K7P2QX9M"
