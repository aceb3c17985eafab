"""Who may take a place in a class: the one check behind enrolling, readiness and moving."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.enrollment.domain.eligibility import Refusal, Rule
from services.enrollment.domain.enrollment import ClassWindow
from services.enrollment.domain.places import (
    PlaceContext,
    PlaceRequest,
    check_place,
    needs_course_facts,
    place_refusal,
)
from shared.errors import DomainError
from shared.ids import new_id

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
OPEN = ClassWindow("scheduled", NOW - timedelta(days=1), NOW + timedelta(days=1),
                   union_members_only=False, results_released=False)
FINE = PlaceContext(window=OPEN, lottery_drawn=None, trainee_role="trainee", has_name=True,
                    union_member=False, existing_id=None, course_rules=False)
SELF = PlaceRequest(via="self", now=NOW)
ADMIN = PlaceRequest(via="admin", now=NOW)
TOO_OLD = Refusal(Rule.AGE_OUT_OF_RANGE, "too old")
OVER_LIMIT = Refusal(Rule.SUBSIDY_YEARLY_LIMIT, "over the limit")


def _code(ctx: PlaceContext, req: PlaceRequest, course: list[Refusal] | None = None) -> str | None:
    found = place_refusal(ctx, req, course or [])
    return None if found is None else found.code


def _window(**changes: object) -> PlaceContext:
    return replace(FINE, window=replace(OPEN, **changes))  # type: ignore[arg-type]


def test_a_named_trainee_takes_a_place_in_an_open_first_come_class() -> None:
    assert _code(FINE, SELF) is None
    check_place(FINE, SELF)


def test_the_enrolment_window_binds_trainees_but_not_staff() -> None:
    early = _window(enroll_opens_at=NOW + timedelta(hours=1))
    late = _window(enroll_closes_at=NOW)
    assert _code(early, SELF) == "enrolment_not_open"
    assert _code(late, SELF) == "enrolment_closed"
    for via in ("admin", "bulk"):
        assert _code(early, replace(SELF, via=via)) is None
        assert _code(late, replace(SELF, via=via)) is None


def test_a_moving_seat_is_not_bound_by_the_close_but_never_comes_before_the_opening() -> None:
    moving = replace(SELF, moving=True)
    assert _code(_window(enroll_closes_at=NOW), moving) is None
    assert _code(_window(enroll_opens_at=NOW + timedelta(hours=1)), moving) == (
        "enrolment_not_open")


def test_a_cancelled_or_finished_class_refuses_everyone() -> None:
    for req in (SELF, ADMIN):
        assert _code(_window(status="cancelled"), req) == "class_cancelled"
        assert _code(_window(results_released=True), req) == "enrolment_closed"


def test_only_named_trainees_and_union_members_of_a_members_class_take_places() -> None:
    assert _code(replace(FINE, trainee_role="trainer"), ADMIN) == "not_a_trainee"
    members = _window(union_members_only=True)
    assert _code(members, SELF) == "union_members_only"
    assert _code(replace(members, union_member=True), SELF) is None
    nameless = replace(FINE, has_name=False)
    assert _code(nameless, SELF) == _code(nameless, ADMIN) == "profile_incomplete"


def test_trainees_apply_to_a_lottery_class_and_staff_place_only_after_the_draw() -> None:
    undrawn, drawn = replace(FINE, lottery_drawn=False), replace(FINE, lottery_drawn=True)
    assert _code(undrawn, SELF) == _code(drawn, SELF) == "lottery_class"
    assert _code(undrawn, ADMIN) == "lottery_not_drawn"
    assert _code(drawn, ADMIN) is None


def test_a_second_live_enrolment_in_a_class_is_refused_with_the_first_ones_id() -> None:
    existing = new_id()
    with pytest.raises(DomainError) as refused:
        check_place(replace(FINE, existing_id=existing), SELF)
    assert refused.value.code == "already_enrolled"
    assert refused.value.extra == {"enrollment_id": str(existing)}


def test_the_courses_rules_refuse_with_the_first_failed_and_list_the_others() -> None:
    with pytest.raises(DomainError) as refused:
        check_place(FINE, SELF, [TOO_OLD, OVER_LIMIT])
    assert (refused.value.code, refused.value.status) == ("age_out_of_range", 403)
    assert refused.value.extra == {"also": ["subsidy_yearly_limit"]}


def test_the_first_check_failed_refuses_in_a_fixed_order() -> None:
    worst = replace(FINE, window=replace(OPEN, status="cancelled", union_members_only=True),
                    trainee_role="admin", has_name=False, lottery_drawn=False,
                    existing_id=new_id())
    steps = [
        ("not_a_trainee", {"trainee_role": "trainee"}),
        ("class_cancelled", {"window": replace(worst.window, status="scheduled")}),
        ("union_members_only", {"union_member": True}),
        ("profile_incomplete", {"has_name": True}),
        ("lottery_class", {"lottery_drawn": None}),
        ("already_enrolled", {"existing_id": None}),
        ("age_out_of_range", {}),
    ]
    ctx = worst
    for code, fixed in steps:
        assert _code(ctx, SELF, [TOO_OLD]) == code
        ctx = replace(ctx, **fixed)  # type: ignore[arg-type]


def test_the_courses_facts_are_needed_only_when_nothing_else_refuses() -> None:
    ruled = replace(FINE, course_rules=True)
    assert needs_course_facts(ruled, SELF)
    assert not needs_course_facts(FINE, SELF)
    assert not needs_course_facts(replace(ruled, existing_id=new_id()), SELF)
    assert not needs_course_facts(replace(ruled, has_name=False), SELF)


def test_the_same_trainee_and_class_are_judged_alike_for_enrolling_and_moving() -> None:
    """A move adds nothing and waives only the close: every other refusal is the enrolment's."""
    cases = [replace(FINE, union_member=False, window=replace(OPEN, union_members_only=True)),
             replace(FINE, has_name=False), replace(FINE, lottery_drawn=True),
             replace(FINE, existing_id=new_id()), _window(status="cancelled"),
             _window(enroll_opens_at=NOW + timedelta(days=1)), FINE]
    for ctx in cases:
        for req in (SELF, ADMIN):
            assert _code(ctx, req) == _code(ctx, replace(req, moving=True))
            assert _code(ctx, req, [TOO_OLD]) == _code(ctx, replace(req, moving=True), [TOO_OLD])
