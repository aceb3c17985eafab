"""改期 on a 390x844 phone: a confirmed trainee moves to another class of the same course
from 我的报名 in one step, keeps one enrolment, and the freed seat goes to the old class's
waitlist (its waiting trainee's page turns confirmed by itself)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import api_class, course_of
from tests.browser.support import EVENTUAL_S, PHONE, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def _sign_up_and_enrol(person: Person, class_id: str, name: str) -> None:
    person.go(f"/classes/{class_id}")
    person.page.get_by_role("link", name="登录并报名").click()
    person.sign_in_trainee(new_phone(), name)
    expect(person.page.locator("#enrol-result")).to_be_visible()


def test_a_confirmed_trainee_moves_to_another_class_and_the_waitlist_gets_the_seat(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    people = {who: Person.open(browser, platform.base_url, PHONE) for who in ("desk", "a", "b")}
    desk, a, b = people["desk"], people["a"], people["b"]
    try:
        old_id, title = api_class(desk.page, platform, admin, opens_at=None, starts_in_days=3,
                                  capacity=1, venue="老馆 101")
        course_id = course_of(desk.page, platform, old_id)
        api_class(desk.page, platform, admin, opens_at=None, starts_in_days=6,
                              capacity=3, course_id=course_id, venue="新馆 202")
        # Enrolment there opens tomorrow: not offered, as enrolling there would be refused.
        api_class(desk.page, platform, admin, opens_at=datetime.now(UTC) + timedelta(days=1),
                  starts_in_days=8, capacity=3, course_id=course_id, venue="未开 303")
        _sign_up_and_enrol(a, old_id, f"冯一{unique_tag()}")
        _sign_up_and_enrol(b, old_id, f"陈二{unique_tag()}")
        expect(b.page.locator("#enrol-result")).to_contain_text("您是候补第 1 位")
        b.go("/me/enrolments")
        line_b = b.page.locator(".enrolment", has_text=title).locator(".status-line")
        expect(line_b).to_have_text("您是候补第 1 位")

        a.go("/me/enrolments")
        card = a.page.locator(".enrolment", has_text=title)
        card.locator("summary", has_text="改期").click()
        expect(card.locator(".move")).to_contain_text("改期截止到")
        choice = card.get_by_label("换到班次")
        expect(choice.locator("option")).to_have_count(1)
        expect(choice.locator("option")).to_contain_text("新馆 202")
        a.shot("16-move")
        card.get_by_role("button", name="确认改期").click()
        expect(a.page.locator("#toast")).to_contain_text("已改期到")
        cards = a.page.locator(".enrolment", has_text=title)
        expect(cards).to_have_count(1)  # one enrolment throughout
        expect(cards.locator(".meta")).to_contain_text("新馆 202")
        expect(cards.locator(".status-line")).to_have_text("已确认名额")

        # The seat freed in the old class goes to its waitlist; B's page follows by itself.
        expect(line_b).to_have_text("已确认名额", timeout=int(EVENTUAL_S * 1000))
        for person in people.values():
            person.assert_clean()
    finally:
        for person in people.values():
            person.close()
