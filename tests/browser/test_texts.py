"""Texts that follow the state on a 390x844 phone: the profile does not claim a certificate
needs an ID (none does), and every date reads one way per language (2026年12月7日, 7 Dec 2026)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import api_class, china_today
from tests.browser.support import PHONE, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_the_profile_calls_the_id_optional_and_says_what_it_is_used_for(
    browser: Browser, platform: Platform
) -> None:
    trainee = Person.open(browser, platform.base_url, PHONE)
    try:
        trainee.go("/sign-in")
        trainee.sign_in_trainee(new_phone(), f"吴十{unique_tag()}")
        trainee.go("/me/profile")
        trainee.heading("个人资料")
        legend = trainee.page.locator("#profile-form legend")
        expect(legend).to_have_text("证件（选填）")
        expect(trainee.page.locator("#id-use")).to_contain_text("登记后会印在您的证书上")
        expect(trainee.page.locator("main")).not_to_contain_text("证书需要")
        trainee.assert_clean()
    finally:
        trainee.close()


def test_a_class_page_writes_dates_one_way_per_language(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    staff = Person.open(browser, platform.base_url, PHONE)
    visitor = Person.open(browser, platform.base_url, PHONE)
    try:
        class_id, title = api_class(staff.page, platform, admin, opens_at=None, starts_in_days=2)
        day = china_today() + timedelta(days=2)
        visitor.go(f"/classes/{class_id}")
        visitor.heading(title)
        facts = visitor.page.locator("dl.facts")
        expect(facts).to_contain_text(f"{day.year}年{day.month}月{day.day}日")
        visitor.page.get_by_role("button", name="English").click()
        expect(facts).to_contain_text(f"{day.day} {day:%b} {day.year}")
        expect(facts).not_to_contain_text(re.compile(rf"{day:%b} {day.day}, {day.year}"))
        visitor.page.get_by_role("button", name="中文").click()
        visitor.assert_clean()
    finally:
        visitor.close()
        staff.close()
