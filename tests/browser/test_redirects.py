"""No open redirects: `?next=` after signing in (and after the first profile) is followed only
when it is a path of our origin; anything else lands on the role's home page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser

HOSTILE = [
    "//evil.example/",
    "/\\evil.example/",
    "/\\/evil.example/",
    "\\\\evil.example/",
    "/.//evil.example/",
    "/\t/evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "http://localhost:1/admin",
]


def next_query(value: str) -> str:
    """Return `?next=<value>` percent-encoded the way a crafted link would carry it."""
    return "?next=" + quote(value, safe="")


def test_only_paths_of_our_origin_count_as_a_next_target(
    browser: Browser, platform: Platform
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        person.go("/sign-in")
        person.heading("登录")
        checked = person.page.evaluate(
            """async (hostile) => {
                const m = await import('/assets/js/next.js');
                return {
                  hostile: hostile.map((v) => [v, m.localPath(v), m.nextPath(v, 'trainer')]),
                  fine: ['/me/profile', '/classes/x?y=1#z', '/trainer/classes/a%2Fb/roster']
                    .map((v) => [v, m.localPath(v)]),
                  signIn: m.nextPath('/sign-in?next=/admin', 'admin'),
                  missing: [m.nextPath(null, 'trainee'), m.nextPath('', 'admin')],
                };
            }""",
            HOSTILE,
        )
        for value, local, after in checked["hostile"]:
            assert local is None, value
            assert after == "/trainer", value
        for value, local in checked["fine"]:
            assert local == value
        assert checked["signIn"] == "/admin"
        assert checked["missing"] == ["/", "/admin"]
        person.assert_clean()
    finally:
        person.close()


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/"],
                         ids=["double-slash", "backslash"])
def test_staff_sign_in_with_a_foreign_next_stays_on_our_origin(
    browser: Browser, platform: Platform, admin: Staff, target: str
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    requested: list[str] = []
    person.context.on("request", lambda request: requested.append(request.url))
    try:
        page = person.page
        person.go("/staff/sign-in" + next_query(target))
        page.get_by_label("手机号").fill(admin.phone)
        page.get_by_label("密码").fill(admin.password)
        page.get_by_role("button", name="登录", exact=True).click()
        person.heading("概览")
        assert page.url == platform.base_url + "/admin"
        # The raw, unencoded form of the link too (a backslash in the query as typed).
        person.go("/sign-in?next=" + target)
        person.heading("概览")
        assert page.url == platform.base_url + "/admin"
        assert not [url for url in requested if "evil.example" in url.split("?")[0]]
        person.assert_clean()
    finally:
        person.close()


def test_a_new_trainee_with_a_foreign_next_ends_on_the_catalogue_after_the_profile(
    browser: Browser, platform: Platform
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        person.go("/sign-in" + next_query("/\\evil.example/"))
        person.sign_in_trainee(new_phone(), f"吴十{unique_tag()}")
        person.heading("培训课程")
        assert person.page.url == platform.base_url + "/"
        person.assert_clean()
    finally:
        person.close()


def test_a_next_path_of_our_origin_is_still_followed(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        person.go("/staff/sign-in" + next_query("/admin/users?role=trainer"))
        page = person.page
        page.get_by_label("手机号").fill(admin.phone)
        page.get_by_label("密码").fill(admin.password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(platform.base_url + "/admin/users?role=trainer")
        person.assert_clean()
    finally:
        person.close()
