"""A class that offers a freed seat: the head of the waitlist sees the deadline and accepts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import enrol, set_up_class
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_the_head_of_the_waitlist_is_offered_the_freed_seat_and_accepts_it_before_the_deadline(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    people = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(3)]
    admin_p, a, b = people
    try:
        setup = set_up_class(admin_p, admin, tag, policy="offer")
        enrol(a, setup, new_phone(), f"赵六{tag}")
        enrol(b, setup, new_phone(), f"钱七{tag}")
        expect(b.page.locator("#enrol-result")).to_contain_text("您是候补第 1 位")

        a.go("/me/enrolments")
        a.page.get_by_role("button", name="取消报名").click()
        a.confirm()
        expect(a.page.locator(".enrolment .badge").first).to_have_text("已取消")

        b.go("/me/enrolments")
        card = b.page.locator(".enrolment", has_text=setup.course_title)
        expect(card.locator(".badge").first).to_have_text("待确认", timeout=20_000)
        expect(card.locator(".status-line")).to_have_text(
            re.compile(r"^有一个名额留给您，请在 .+ 前确认$"))
        b.shot("12-offer")
        card.get_by_role("button", name="接受名额").click()
        expect(b.page.locator("#toast")).to_have_text("已接受名额，报名成功！")
        expect(b.page.locator(".enrolment", has_text=setup.course_title).locator(".badge").first
               ).to_have_text("已确认")
        history = b.page.locator(".enrolment", has_text=setup.course_title).locator("details")
        history.locator("summary").click()
        for step in ("候补中", "待确认", "已确认"):
            expect(history.locator("li", has_text=step)).to_have_count(1)
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
