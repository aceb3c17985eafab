"""An expired access token is not an error page: any 401 sends the user to sign in with a
same-origin `next`, and signing in again returns there. Both ways a token runs out: the service
rejects it (token_expired), or it expired in this tab and was not even sent."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

import pytest
from playwright.sync_api import Browser, expect

from shared.auth import Role, TokenIssuer
from tests.browser.platform import Platform
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def expired_token(platform: Platform, user_id: str, role: Role) -> str:
    """Return a token signed with this platform's key whose `exp` passed a minute ago."""
    key = (platform.workdir / "var" / "keys" / "enrollment" / "jwt-signing.pem").read_bytes()
    issuer = TokenIssuer(key, issuer="jiangxin", audience="jiangxin")
    return issuer.mint(UUID(user_id), role, ttl_s=-60)


def sign_in_again(person: Person, staff: Staff) -> None:
    """Fill in the staff sign-in form that the expired session led to."""
    page = person.page
    person.heading("培训师 / 管理员登录")
    page.get_by_label("手机号").fill(staff.phone)
    page.get_by_label("密码").fill(staff.password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_a_token_the_services_reject_as_expired_leads_to_sign_in_and_back(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        page = person.page
        person.sign_in_staff(admin)
        person.go("/admin")
        expect(page.locator("#enrolment-stats")).to_be_visible()
        # The tab still believes in its token; the services say it expired (clock skew, a
        # token older than this tab thinks): every call of the dashboard answers 401 at once.
        user_id = page.evaluate("() => JSON.parse(sessionStorage.getItem('jx.session')).user.id")
        page.evaluate(
            "(token) => { const s = JSON.parse(sessionStorage.getItem('jx.session'));"
            " s.token = token; sessionStorage.setItem('jx.session', JSON.stringify(s)); }",
            expired_token(platform, user_id, "admin"),
        )
        person.go("/admin/users?role=trainer")
        expect(page).to_have_url(
            f"{platform.base_url}/staff/sign-in?next={quote('/admin/users?role=trainer', safe='')}")
        expect(page.locator("#toast")).to_have_text("登录已过期，请重新登录。")
        assert page.evaluate("() => sessionStorage.getItem('jx.session')") is None
        sign_in_again(person, admin)
        expect(page).to_have_url(f"{platform.base_url}/admin/users?role=trainer")

        # The dashboard makes five calls at once: the first 401 leaves, the rest change nothing.
        page.evaluate(
            "(token) => { const s = JSON.parse(sessionStorage.getItem('jx.session'));"
            " s.token = token; sessionStorage.setItem('jx.session', JSON.stringify(s)); }",
            expired_token(platform, user_id, "admin"),
        )
        person.go("/admin")
        expect(page).to_have_url(f"{platform.base_url}/staff/sign-in?next=%2Fadmin")
        expect(page.locator("h1")).not_to_have_text("无法显示此页面")
        sign_in_again(person, admin)
        person.heading("概览")
        person.assert_clean()
    finally:
        person.close()


def test_a_token_that_expired_in_this_tab_leads_to_sign_in_when_the_next_call_fails(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        page = person.page
        page.clock.install()
        person.sign_in_staff(admin)
        person.go("/admin/users?new=1")
        form = page.locator("#create-user")
        expect(form).to_be_visible()
        # The laptop lid stays shut for a month: the token expires while the form is open, so
        # the next call goes out without it and the service answers 401.
        page.clock.fast_forward(30 * 24 * 3600 * 1000)
        form.get_by_label("身份").select_option("trainer")
        form.get_by_label("姓名").fill(f"陈老师{unique_tag()}")
        form.get_by_label("手机号").fill(new_phone())
        form.get_by_label("初始密码").fill("trainer-pass-0123")
        form.get_by_role("button", name="创建账号").click()
        expect(page).to_have_url(
            f"{platform.base_url}/staff/sign-in?next={quote('/admin/users?new=1', safe='')}")
        expect(page.locator("#toast")).to_have_text("登录已过期，请重新登录。")
        sign_in_again(person, admin)
        expect(page).to_have_url(f"{platform.base_url}/admin/users?new=1")
        expect(page.locator("#create-user")).to_be_visible()
        person.assert_clean()
    finally:
        person.close()
