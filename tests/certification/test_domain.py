"""Pure rules: numbers, codes, result corrections, expiry, masking, rate limits."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from services.certification.domain.approval import Authors, authors_of, check_not_author
from services.certification.domain.certificate import (
    Decision,
    Live,
    add_months,
    check_reissue,
    check_replaceable,
    check_transition,
    decide,
    expiry,
    masked_holder,
    masked_id,
    public_status,
)
from services.certification.domain.codes import ALPHABET, CODE_LENGTH, new_code, normalise_code
from services.certification.domain.numbers import (
    NATIONAL_RE,
    InternalNumbers,
    KindNumbers,
    NationalNumbers,
    NumberingError,
    looks_like_number,
    looks_national,
    validate_held,
    validate_national,
)
from services.certification.domain.ratelimit import TokenBuckets
from shared.errors import Forbidden, InvalidState, RateLimited
from shared.events.catalog import EnrollmentCompleted
from tests.certification.factories import completed

NATIONAL = NationalNumbers(kind="S", agency="0000", province="36", site="000123")


def test_national_number_has_22_characters_in_the_documented_order() -> None:
    key = NATIONAL.counter(year=2026, level=4)
    number = NATIONAL.format(key, 42)
    assert number == "S" + "0000" + "36" + "000123" + "26" + "4" + "000042"
    assert NATIONAL_RE.match(number)
    validate_national(number, year=2026, level=4)


@pytest.mark.parametrize("level", [None, 0, 6])
def test_national_number_refuses_a_missing_or_impossible_level(level: int | None) -> None:
    with pytest.raises(NumberingError):
        NATIONAL.counter(year=2026, level=level)


def test_national_number_refuses_a_year_outside_two_digits() -> None:
    with pytest.raises(NumberingError):
        NATIONAL.counter(year=1999, level=3)


def test_national_number_refuses_a_serial_past_six_digits() -> None:
    with pytest.raises(NumberingError):
        NATIONAL.format(NATIONAL.counter(year=2026, level=3), 1_000_000)


@pytest.mark.parametrize(
    ("number", "year", "level"),
    [
        ("S00003600012326400004", None, None),  # 21 characters
        ("X000036000123264000042", None, None),  # wrong kind
        ("S000036000123266000042", None, None),  # level digit 6
        ("S000036000123260000042", None, None),  # level digit 0
        ("S000036000123254000042", 2026, None),  # year 25 issued in 2026
        ("S000036000123264000042", None, 3),  # level 4 where 3 was meant
        ("S000036000123264000000", None, None),  # serial zero
    ],
)
def test_validate_national_rejects_malformed_numbers(
    number: str, year: int | None, level: int | None
) -> None:
    with pytest.raises(NumberingError):
        validate_national(number, year=year, level=level)


def test_internal_numbers_mark_the_level_or_none_for_training() -> None:
    numbers = InternalNumbers("JX")
    assert numbers.format(numbers.counter(year=2026, level=None), 123) == "JX-2026-000123"
    assert numbers.format(numbers.counter(year=2026, level=2), 7) == "JX-2026-L2-000007"
    assert looks_like_number("JX-2026-000123")
    assert looks_like_number("S000036000123264000042")
    assert not looks_like_number("7Q2M4KX9PA")


def test_an_assessment_body_numbers_training_certificates_in_the_internal_format() -> None:
    numbers = KindNumbers(internal=InternalNumbers("JX"), national=NATIONAL)
    training = numbers.counter(kind="training", year=2026, level=None)
    assert numbers.format(training, 5) == "JX-2026-000005"
    leveled = numbers.counter(kind="training", year=2026, level=4)
    assert numbers.format(leveled, 5) == "JX-2026-L4-000005"
    skill = numbers.counter(kind="skill_level", year=2026, level=2)
    assert numbers.format(skill, 5) == "S00003600012326" + "2" + "000005"


def test_only_a_registered_organisation_issues_national_numbers_for_its_filed_levels() -> None:
    unregistered = KindNumbers(internal=InternalNumbers("JX"))
    with pytest.raises(NumberingError) as refused:
        unregistered.counter(kind="skill_level", year=2026, level=4)
    assert refused.value.code == "not_assessment_body"
    filed = KindNumbers(internal=InternalNumbers("JX"), national=NATIONAL,
                        filed_levels=frozenset({5, 4}))
    with pytest.raises(NumberingError) as unfiled:
        filed.counter(kind="skill_level", year=2026, level=3)
    assert unfiled.value.code == "level_not_filed"
    assert filed.format(filed.counter(kind="skill_level", year=2026, level=4), 1)[15] == "4"


@pytest.mark.parametrize("prefix", ["JX", "S", "Y", "SYS", "ABCDEF"])
def test_our_own_numbers_never_look_national_whatever_the_prefix(prefix: str) -> None:
    numbers = KindNumbers(internal=InternalNumbers(prefix))
    for level in (None, 1, 5):
        for serial in (1, 999_999, 1_000_000):
            number = numbers.format(numbers.counter(kind="training", year=2026, level=level),
                                    serial)
            assert not looks_national(number), number
            assert not NATIONAL_RE.match(number)


def test_the_validator_accepts_national_numbers_issued_elsewhere_and_legacy_ones() -> None:
    assert validate_held("Y123436000777263000001") == "national"
    assert validate_held(" s000036000123264000042 ", level=4) == "national"
    assert validate_held("3601012008000123") == "legacy"
    for bad, code in (("JX-2026-000001", "invalid_national_number"),
                      ("S00003600012326400004", "invalid_national_number"),
                      ("S000036000123266000042", "numbering_failed"),
                      ("S000036000123264000000", "numbering_failed")):
        with pytest.raises(NumberingError) as refused:
            validate_held(bad)
        assert refused.value.code == code, bad
    with pytest.raises(NumberingError):
        validate_held("S000036000123264000042", level=3)


def test_codes_use_the_unambiguous_alphabet_and_forgive_typing_slips() -> None:
    code = new_code()
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert normalise_code("7q2m-4kx9-pa") == "7Q2M4KX9PA"
    assert normalise_code("OIL0000000") == "0110000000"
    assert normalise_code("short") is None
    assert normalise_code("U234567890") is None


@pytest.mark.parametrize(
    ("live", "passed", "policy", "decision"),
    [
        (None, True, "auto", Decision.ISSUE),
        (None, True, "approval", Decision.HOLD),
        (None, False, "auto", Decision.NOTHING),
        (Live("pending"), False, "approval", Decision.WITHDRAW),
        (Live("pending"), True, "approval", Decision.NOTHING),
        (Live("withdrawn"), True, "approval", Decision.HOLD),
        (Live("withdrawn"), True, "auto", Decision.ISSUE),
        (Live("valid"), False, "auto", Decision.REVOKE),
        (Live("suspended"), False, "auto", Decision.REVOKE),
        (Live("valid"), True, "auto", Decision.NOTHING),
        (Live("revoked", "result_corrected"), True, "auto", Decision.REISSUE),
        (Live("revoked", "result_corrected"), True, "approval", Decision.HOLD_REISSUE),
        (Live("revoked", "result_corrected"), False, "approval", Decision.NOTHING),
        (Live("revoked", "manual"), True, "auto", Decision.NOTHING),
        (Live("revoked", "manual"), False, "auto", Decision.NOTHING),
    ],
)
def test_a_newer_result_decides_the_certificate(
    live: Live | None, passed: bool, policy: str, decision: Decision
) -> None:
    assert decide(live, passed=passed, policy=policy) is decision  # type: ignore[arg-type]


def test_transitions_refuse_impossible_actions() -> None:
    check_transition("suspend", "valid")
    check_transition("reinstate", "suspended")
    for action, status in [("approve", "valid"), ("reinstate", "valid"), ("revoke", "revoked"),
                           ("suspend", "pending"), ("reissue", "pending")]:
        with pytest.raises(InvalidState):
            check_transition(action, status)  # type: ignore[arg-type]
    with pytest.raises(InvalidState):
        check_transition("revoke", "valid", replaced=True)


def test_nobody_approves_what_they_released_scored_marked_or_asked_to_reissue() -> None:
    released, first_scorer, last_scorer, marker, requested, other = (
        UUID(int=i) for i in range(1, 7))
    result = completed(released_by=released, scored_by=last_scorer,
                       scorers=[first_scorer, last_scorer], attendance_markers=[marker])
    authors = authors_of(result, requested_by=requested)
    for who, code in ((released, "approver_released_results"),
                      (first_scorer, "approver_entered_scores"),
                      (last_scorer, "approver_entered_scores"),
                      (marker, "approver_marked_attendance"),
                      (requested, "approver_requested_reissue")):
        with pytest.raises(Forbidden) as refused:
            check_not_author(who, authors)
        assert refused.value.code == code
    check_not_author(other, authors)
    check_not_author(other, Authors())  # a result from before enrollment named anyone


def test_a_result_from_before_the_author_lists_still_refuses_its_last_scorer() -> None:
    """enrollment.completed v1 without `scorers`: `scored_by` alone still counts."""
    scorer = UUID(int=1)
    older = EnrollmentCompleted.model_validate(
        {k: v for k, v in completed(scored_by=scorer).model_dump(mode="json").items()
         if k not in ("scorers", "attendance_markers")})
    with pytest.raises(Forbidden) as refused:
        check_not_author(scorer, authors_of(older))
    assert refused.value.code == "approver_entered_scores"


def test_an_approved_replacement_takes_over_only_a_valid_or_correction_revoked_one() -> None:
    check_replaceable("valid", None)
    check_replaceable("revoked", "result_corrected")
    for status, kind in (("suspended", None), ("revoked", "manual"), ("revoked", "reissued")):
        with pytest.raises(InvalidState) as refused:
            check_replaceable(status, kind)  # type: ignore[arg-type]
        assert refused.value.code == "replaced_certificate_changed"


def test_only_a_valid_certificate_of_a_passing_result_is_reissued_by_a_person() -> None:
    check_reissue("valid", passed=True)
    for status, passed, code in [
        ("valid", False, "result_not_passed"), ("revoked", False, "result_not_passed"),
        ("suspended", True, "not_reissueable"), ("revoked", True, "not_reissueable"),
        ("pending", True, "not_reissueable"), ("withdrawn", True, "not_reissueable"),
    ]:
        with pytest.raises(InvalidState) as refused:
            check_reissue(status, passed=passed)  # type: ignore[arg-type]
        assert refused.value.code == code, (status, passed)
    with pytest.raises(InvalidState) as stale:
        check_reissue("revoked", passed=False, replaced=True)
    assert stale.value.code == "replaced"


def test_expiry_is_the_day_before_the_anniversary_and_expired_only_after_it() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    last = expiry(date(2026, 3, 10), 36)
    assert last == date(2029, 3, 9)
    assert expiry(date(2026, 3, 10), None) is None
    assert public_status("valid", last, date(2029, 3, 9)) == "valid"
    assert public_status("valid", last, date(2029, 3, 10)) == "expired"
    assert public_status("revoked", last, date(2030, 1, 1)) == "revoked"


def test_public_masks_keep_only_first_and_last_characters() -> None:
    assert masked_holder("张小三") == "张*三"
    assert masked_id("460100199001011234") == "4601**********1234"
    assert masked_id("4601**********1234") == "4601**********1234"


def test_token_bucket_allows_the_burst_then_asks_to_wait() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=1.0, burst=3, now=lambda: now[0])
    for _ in range(3):
        buckets.take("1.2.3.4")
    with pytest.raises(RateLimited) as caught:
        buckets.take("1.2.3.4")
    assert caught.value.retry_after >= 1
    buckets.take("5.6.7.8")  # another client has its own bucket
    now[0] += 1.0
    buckets.take("1.2.3.4")
