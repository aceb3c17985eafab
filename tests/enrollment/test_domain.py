"""Pure rules: phone numbers, resident IDs, code limits, the state machine, results, CSV."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.enrollment.domain.enrollment import (
    Action,
    Status,
    cancel_reason,
    require,
    seats_to_fill,
)
from services.enrollment.domain.identity import (
    OtpLimits,
    check_otp_rate,
    normalise_id_number,
    resident_id_check_char,
)
from services.enrollment.domain.phones import normalise_phone
from services.enrollment.domain.results import (
    Assessment,
    attendance_rate,
    check_releasable,
    days_without_attendance,
    hours_attended,
)
from services.enrollment.domain.roster_import import parse_roster
from services.enrollment.domain.schedule import (
    QuietHours,
    class_days,
    local_today,
    offer_deadline,
)
from services.enrollment.views.roster_export import write_csv
from shared.errors import DomainError, RateLimited

NOW = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "e164"), [
    ("13800138000", "+8613800138000"), ("+86 138-0013-8000", "+8613800138000"),
    ("１３８００１３８０００", "+8613800138000"), ("008613800138000", "+8613800138000"),
])
def test_mobile_numbers_are_stored_as_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw, require_mobile=True) == e164


def test_landlines_are_valid_numbers_but_cannot_receive_codes() -> None:
    assert normalise_phone("010-12345678") == "+861012345678"
    with pytest.raises(DomainError) as refused:
        normalise_phone("010-12345678", require_mobile=True)
    assert refused.value.code == "phone_not_mobile"


def test_the_resident_id_check_character_follows_gb_11643() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert normalise_id_number("resident_id", "11010519491231002x") == "11010519491231002X"
    for bad in ("110105194912310021", "11010519491331002X", "1101051949123100",
                "11010519491231002Y", "11010549123100X", "110105491331002"):
        with pytest.raises(DomainError) as refused:
            normalise_id_number("resident_id", bad)
        assert refused.value.code == "invalid_id_number"


def test_a_legacy_15_digit_resident_id_is_accepted_when_its_birth_date_is_a_date() -> None:
    assert normalise_id_number("resident_id", " 110105491231002 ") == "110105491231002"
    with pytest.raises(DomainError) as refused:
        normalise_id_number("resident_id", "110105490231002")  # 1949-02-31
    assert refused.value.code == "invalid_id_number"


def test_code_requests_are_limited_per_minute_hour_and_day() -> None:
    limits = OtpLimits()
    check_otp_rate([], now=NOW, limits=limits)
    with pytest.raises(RateLimited) as minute:
        check_otp_rate([NOW - timedelta(seconds=20)], now=NOW, limits=limits)
    assert minute.value.retry_after == 41
    hour = [NOW - timedelta(minutes=m) for m in (2, 10, 20, 30, 50)]
    with pytest.raises(RateLimited) as hourly:
        check_otp_rate(hour, now=NOW, limits=limits)
    assert hourly.value.retry_after == 10 * 60 + 1
    day = [NOW - timedelta(hours=h) for h in (2, 3, 4, 5, 6, 7, 8, 9, 10, 23)]
    with pytest.raises(RateLimited):
        check_otp_rate(day, now=NOW, limits=limits)


def test_transitions_outside_the_state_machine_are_refused() -> None:
    assert require("offered", Action.ACCEPT) is Status.OFFERED
    with pytest.raises(DomainError) as refused:
        require("confirmed", Action.ACCEPT)
    assert refused.value.code == "no_offer"
    with pytest.raises(DomainError):
        require("completed", Action.CANCEL)
    assert cancel_reason(Status.OFFERED, "trainee") == "offer_declined"
    assert cancel_reason(Status.CONFIRMED, "admin") == "by_admin"


def test_only_free_seats_go_to_the_waitlist() -> None:
    assert seats_to_fill(capacity=3, seats_taken=1, waitlist_length=5) == 2
    assert seats_to_fill(capacity=3, seats_taken=3, waitlist_length=5) == 0
    assert seats_to_fill(capacity=3, seats_taken=1, waitlist_length=0) == 0


def test_late_counts_as_attended_and_excused_does_not() -> None:
    marks = {date(2025, 6, d): s for d, s in
             zip(range(9, 14), ["present", "late", "excused", "absent", "present"], strict=True)}
    assert hours_attended(marks, hours_per_day=Decimal(8)) == 24
    assert attendance_rate(marks, days=5) == Decimal("0.6")


def test_passing_needs_attendance_and_both_pass_marks() -> None:
    def assess(rate: str, theory: str | None, practical: str | None) -> Assessment:
        return Assessment(Decimal(rate), Decimal("0.8"),
                          None if theory is None else Decimal(theory),
                          None if practical is None else Decimal(practical),
                          Decimal(60), Decimal(60))

    assert assess("0.8", "60", "60").passed
    assert not assess("0.6", "100", "100").passed
    assert not assess("1", "59.9", "100").passed
    assert not assess("1", None, "100").passed
    assert assess("1", "80", "80").fingerprint(Decimal(40)) != assess(
        "1", "81", "80").fingerprint(Decimal(40))


def test_hours_from_check_ins_decide_eligibility_whatever_the_rounded_rate_says() -> None:
    by_days = Assessment(Decimal("0.9"), Decimal("0.9"), Decimal(80), Decimal(80),
                         Decimal(60), Decimal(60))
    assert (by_days.eligible, by_days.passed) == (True, True)
    short = replace(by_days, hours_enough=False)  # 0.89997 of the minutes shows as 0.9
    assert (short.eligible, short.passed) == (False, False)
    enough = replace(by_days, rate=Decimal("0.5"), hours_enough=True)
    assert (enough.eligible, enough.passed) == (True, True)


def test_results_wait_for_the_last_class_day_and_for_attendance_on_every_day() -> None:
    days = [date(2025, 6, d) for d in (9, 10, 12)]
    for today, code in ((date(2025, 6, 8), "class_not_started"),
                        (date(2025, 6, 11), "class_not_finished")):
        with pytest.raises(DomainError) as refused:
            check_releasable(today, starts_on=days[0], ends_on=days[-1])
        assert refused.value.code == code
    check_releasable(date(2025, 6, 12), starts_on=days[0], ends_on=days[-1])
    marks = [{days[0]: "absent"}, {days[0]: "present", days[2]: "excused"}]
    assert days_without_attendance(days, marks, today=date(2025, 6, 12)) == [days[1]]
    assert days_without_attendance(days, marks, today=date(2025, 6, 9)) == []


def test_class_days_default_to_every_day_and_must_span_the_range() -> None:
    assert class_days(date(2025, 6, 9), date(2025, 6, 11), None) == [
        date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 11)]
    with pytest.raises(DomainError):
        class_days(date(2025, 6, 9), date(2025, 6, 11), [date(2025, 6, 10)])
    assert local_today(datetime(2025, 6, 2, 16, 30, tzinfo=UTC), "Asia/Shanghai") == date(
        2025, 6, 3)


def test_roster_files_accept_chinese_headers_and_gb18030() -> None:
    rows = parse_roster("手机号,姓名,证件类型,证件号码\n13800138000,张三,身份证,X\n"
                        .encode("gb18030"))
    assert (rows[0].phone, rows[0].name, rows[0].id_type) == ("13800138000", "张三",
                                                              "resident_id")
    with pytest.raises(DomainError) as refused:
        parse_roster(b"name\nx\n")
    assert refused.value.code == "invalid_csv"


def test_exported_cells_cannot_become_spreadsheet_formulas() -> None:
    text = write_csv(["a", "b", "c"], [["=HYPERLINK(1)", "+86138****8000", "-3.5"]])
    assert text.decode("utf-8-sig").splitlines()[1] == "'=HYPERLINK(1),+86138****8000,-3.5"


SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(start=time(21), end=time(8), tz="Asia/Shanghai")


@pytest.mark.parametrize(("made", "expires"), [
    (datetime(2025, 6, 2, 22, 30), datetime(2025, 6, 3, 9, 0)),   # at night: from 08:00
    (datetime(2025, 6, 3, 3, 0), datetime(2025, 6, 3, 9, 0)),     # after midnight: same day
    (datetime(2025, 6, 2, 21, 0), datetime(2025, 6, 3, 9, 0)),    # quiet hours start at 21:00
    (datetime(2025, 6, 3, 7, 59), datetime(2025, 6, 3, 9, 0)),
    (datetime(2025, 6, 3, 8, 0), datetime(2025, 6, 3, 9, 0)),     # they are over at 08:00
    (datetime(2025, 6, 2, 20, 59), datetime(2025, 6, 2, 21, 59)),  # in the day: from now
])
def test_an_offer_made_in_quiet_hours_runs_from_their_end(
    made: datetime, expires: datetime
) -> None:
    now = made.replace(tzinfo=SHANGHAI).astimezone(UTC)
    assert offer_deadline(now, hours=1, quiet=NIGHT) == expires.replace(tzinfo=SHANGHAI)


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    early = QuietHours(start=time(0), end=time(7), tz="Asia/Shanghai")
    at_one = datetime(2025, 6, 3, 1, 0, tzinfo=SHANGHAI)
    assert offer_deadline(at_one, hours=2, quiet=early) == datetime(2025, 6, 3, 9, 0,
                                                                    tzinfo=SHANGHAI)
    never = QuietHours(start=time(21), end=time(21), tz="Asia/Shanghai")
    late = datetime(2025, 6, 2, 23, 0, tzinfo=SHANGHAI)
    assert offer_deadline(late, hours=2, quiet=never) == late + timedelta(hours=2)
