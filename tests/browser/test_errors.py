"""Friendly errors, next to the field they are about, with the keyboard alone, in both languages;
and the page's security headers."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.support import DESKTOP, PHONE, Person, Staff, new_phone

pytestmark = pytest.mark.browser


def test_a_landline_is_refused_next_to_the_phone_field_using_only_the_keyboard(
    browser: Browser, platform: Platform
) -> None:
    person = Person.open(browser, platform.base_url, PHONE)
    try:
        page = person.page
        person.go("/sign-in")
        page.keyboard.press("Tab")  # the skip link comes first
        expect(page.locator(".skip")).to_be_focused()
        page.get_by_label("手机号").focus()
        page.keyboard.type("010-12345678")
        page.keyboard.press("Enter")
        phone = page.get_by_label("手机号")
        expect(phone).to_have_attribute("aria-invalid", "true")
        error = page.locator("#phone-form [data-error-for=phone]")
        expect(error).to_have_text("这是固定电话号码，收不到短信，请输入手机号。")
        expect(phone).to_be_focused()
        described = phone.get_attribute("aria-describedby") or ""
        assert error.get_attribute("id") in described.split()

        page.get_by_role("button", name="English").click()
        expect(page.locator("h1")).to_have_text("Sign in")
        page.get_by_label("Mobile number").fill("12345")
        page.get_by_label("Mobile number").press("Enter")
        expect(page.locator("#phone-form [data-error-for=phone]")).to_have_text(
            "Enter a valid mobile number.")
        person.assert_clean()
    finally:
        person.close()


def test_a_wrong_code_and_a_wrong_password_say_so_without_signing_in(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        page = person.page
        person.go("/sign-in")
        page.get_by_label("手机号").fill(new_phone())
        page.get_by_role("button", name="获取验证码").click()
        page.get_by_label("验证码").fill("000000")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.locator("#code-form [data-error-for=code]")).to_have_text(
            "验证码不对，请核对后重新输入。")

        person.go("/staff/sign-in")
        page.get_by_label("手机号").fill(admin.phone)
        page.get_by_label("密码").fill("not-the-password")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.locator("#staff-form [data-error-for=password]")).to_have_text(
            "手机号或密码不对。")
        assert page.evaluate("() => sessionStorage.getItem('jx.session')") is None
        person.assert_clean()
    finally:
        person.close()


def test_422_field_errors_from_the_service_appear_next_to_each_field(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        page = person.page
        person.sign_in_staff(admin)
        person.go("/admin/courses?new=1")
        form = page.locator("#create-course")
        form.get_by_label("课程代码").fill("bad code with spaces")
        form.get_by_label("类别").fill("x")
        form.get_by_label("中文名称").fill("名称")
        form.get_by_label("英文名称").fill("Title")
        form.get_by_label("学时").fill("8")
        form.get_by_label("理论及格线").fill("101")
        form.get_by_role("button", name="创建课程").click()
        expect(form.locator(".form-message")).to_have_text("请修改标红的内容后再提交。")
        expect(form.locator("[data-error-for=code]")).to_have_text("格式不对。")
        expect(form.locator("[data-error-for=theory_pass]")).to_have_text("数值太大。")
        expect(form.get_by_label("课程代码")).to_have_attribute("aria-invalid", "true")
        expect(form.get_by_label("中文名称")).not_to_have_attribute("aria-invalid", "true")
        person.assert_clean()
    finally:
        person.close()


def test_pages_forbid_inline_code_and_send_no_cookies(platform: Platform) -> None:
    with urllib.request.urlopen(platform.base_url + "/me/certificates", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        html = response.read().decode()
        assert response.headers.get("Set-Cookie") is None
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in html
    assert "style=" not in html
    assert '<script type="module" src="/assets/js/main.js"></script>' in html
