"""The dev inbox (the local stand-in for a phone's SMS app) on a 390x844 phone: Chinese by
default and English on request, searchable by part of a phone number, newest first, and the
sign-in code is the first thing in each message's block, large and on screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.support import PHONE, Person, new_phone

pytestmark = pytest.mark.browser


def test_the_dev_inbox_finds_a_code_by_part_of_the_phone_and_shows_it_first_and_large(
    browser: Browser, platform: Platform
) -> None:
    trainee = Person.open(browser, platform.base_url, PHONE)
    page = trainee.page
    phone = new_phone()
    try:
        trainee.go("/sign-in")
        page.get_by_label("手机号").fill(phone)
        page.get_by_role("button", name="获取验证码").click()
        expect(page.get_by_text("验证码已发送")).to_be_visible()
        first = trainee.read_code(phone)

        trainee.go("/dev/inbox")
        trainee.heading("开发收件箱")
        search = page.get_by_placeholder(re.compile("按手机号查找"))
        search.fill(phone[-6:])
        page.get_by_role("button", name="查找").click()
        expect(page).to_have_url(re.compile(rf"phone={phone[-6:]}"))
        rows = page.locator("table.inbox tbody tr")
        expect(rows.first.locator(".recipient")).to_have_text(f"+86{phone}")
        for recipient in rows.locator(".recipient").all_inner_texts():
            assert recipient == f"+86{phone}", recipient
        code = rows.first.locator("[data-code]")
        expect(code).to_have_attribute("data-code", first)
        # First in the block, large, and within the phone's width (no sideways scrolling).
        cell = rows.first.locator("td").first
        expect(cell.locator("[data-code]")).to_have_count(1)
        box = code.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        size = code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert size >= 32, size
        trainee.shot("15-dev-inbox")

        page.get_by_role("link", name="English").click()
        trainee.heading("Dev inbox")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_placeholder(re.compile("Find by phone"))).to_have_value(phone[-6:])
        expect(page.locator("table.inbox thead")).to_contain_text("Code")
        page.get_by_role("link", name="中文").click()
        trainee.heading("开发收件箱")
        trainee.assert_clean()
    finally:
        trainee.close()


def test_english_chosen_in_the_web_front_stays_on_the_verify_and_dev_inbox_pages(
    browser: Browser, platform: Platform
) -> None:
    visitor = Person.open(browser, platform.base_url, PHONE)
    page = visitor.page
    try:
        visitor.go("/")
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.get_by_role("link", name="Check a certificate").click()
        visitor.heading("Certificate check")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.go_back()
        page.get_by_role("link", name=re.compile("^Dev inbox")).click()
        visitor.heading("Dev inbox")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        visitor.assert_clean()
    finally:
        visitor.close()
