"""The flash-sale morning on a 390x844 phone: sign in and fill the profile ahead, a countdown
with the enrolment checked ahead, one tap when the class opens while the page is open; signing
in from an open class finishes the enrolment asked for without a second tap; the result reads
the same after a reload and matches the class's dates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Request, Route, expect

from tests.browser.platform import Platform
from tests.browser.steps import api_class, api_patch_class
from tests.browser.support import PHONE, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser

OPENS_IN_S = 15  # from a reload of the class page to the opening


@pytest.fixture
def staff(browser: Browser, platform: Platform) -> Iterator[Person]:
    """The organiser's phone: its page makes the API calls that set the class up."""
    person = Person.open(browser, platform.base_url, PHONE)
    yield person
    person.close()


@pytest.fixture
def trainee(browser: Browser, platform: Platform, staff: Person) -> Iterator[Person]:
    """The trainee's phone (closed before the organiser's)."""
    person = Person.open(browser, platform.base_url, PHONE)
    yield person
    person.close()


@pytest.fixture
def posts(trainee: Person) -> list[str]:
    """The Idempotency-Key of every enrolment the trainee's page posts, in order."""
    keys: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/enrollments"):
            keys.append(request.headers.get("idempotency-key", ""))

    trainee.page.on("request", record)
    return keys


def sign_in_from_class(trainee: Person, class_id: str, title: str, name: str) -> None:
    """Trainee: open the class, sign in from its link as a new `name`, land back on the class."""
    trainee.go(f"/classes/{class_id}")
    trainee.page.get_by_role("link", name="登录并报名").click()
    trainee.sign_in_trainee(new_phone(), f"{name}{unique_tag()}")
    trainee.heading(title)


def test_a_trainee_signed_in_ahead_enrols_with_one_tap_when_the_class_opens(
    platform: Platform, admin: Staff, staff: Person, trainee: Person, posts: list[str]
) -> None:
    page = trainee.page
    opens = datetime.now(UTC) + timedelta(hours=1)
    class_id, title = api_class(staff.page, platform, admin, opens_at=opens, starts_in_days=2)

    trainee.go(f"/classes/{class_id}")
    trainee.heading(title)
    expect(page.locator("#countdown")).to_contain_text("距开放报名还有")
    expect(page.locator("#open-state")).to_contain_text("开始报名")
    expect(page.locator("#enrol")).to_contain_text("现在先登录并填好资料")
    page.get_by_role("link", name="先登录").click()
    trainee.sign_in_trainee(new_phone(), f"钱七{unique_tag()}")
    trainee.heading(title)  # back on the class, signed in, before the opening
    button = page.locator("#enrol-button")
    expect(page.locator("#enrol-lead")).to_have_text("您已准备好：开放报名时点一下即可报名。")
    expect(button).to_be_disabled()
    expect(page.locator("#countdown-time")).to_have_text(re.compile(r"^(01:00:00|00:59:\d\d)$"))
    trainee.shot("12-flash-countdown")

    # The organiser brings the opening forward; the trainee has the page open when it comes.
    soon = datetime.now(UTC) + timedelta(seconds=OPENS_IN_S)
    api_patch_class(staff.page, platform, admin, class_id, {"enroll_opens_at": soon.isoformat()})
    page.reload()
    expect(page.locator("#enrol-lead")).to_have_text("您已准备好：开放报名时点一下即可报名。")
    expect(button).to_be_disabled()
    expect(page.locator("#countdown-time")).to_have_text(re.compile(r"^00:00:\d\d$"))

    # The class opens while the page is open: the button comes alive by itself.
    expect(button).to_be_enabled(timeout=(OPENS_IN_S + 30) * 1000)
    expect(page.locator("#countdown")).to_have_text("报名已开放！")
    expect(page.locator("#open-state")).to_have_text("报名中")
    button.click()
    expect(page.locator("#enrol-result")).to_contain_text("报名成功！")
    expect(page.locator("#enrol-lead")).to_have_count(0)  # no "seats left" above the result
    assert len(posts) == 1, posts  # one request...
    assert posts[0], posts  # ...with an Idempotency-Key
    trainee.shot("13-flash-enrolled")

    page.reload()
    expect(page.locator("#enrol-result")).to_contain_text("报名成功！")
    expect(page.locator("#my-status")).to_have_text("已确认名额")
    expect(page.locator("#enrol-button")).to_have_count(0)
    trainee.assert_clean()


def test_signing_in_from_an_open_class_enrols_without_a_second_tap(
    platform: Platform, admin: Staff, staff: Person, trainee: Person, posts: list[str]
) -> None:
    page = trainee.page
    class_id, title = api_class(staff.page, platform, admin, opens_at=None, starts_in_days=3)
    sign_in_from_class(trainee, class_id, title, "孙八")
    expect(page.locator("#enrol-result")).to_contain_text("报名成功！")
    expect(page.locator("#enrol-result")).to_contain_text("开课前一天会短信提醒您")
    expect(page).to_have_url(re.compile(rf"/classes/{class_id}$"))  # the intent is spent
    assert len(posts) == 1, posts
    page.reload()
    expect(page.locator("#my-status")).to_have_text("已确认名额")
    assert len(posts) == 1, posts
    trainee.assert_clean()


def test_a_class_starting_today_promises_no_reminder_the_day_before(
    platform: Platform, admin: Staff, staff: Person, trainee: Person
) -> None:
    page = trainee.page
    closes = datetime.now(UTC) + timedelta(hours=2)
    class_id, title = api_class(staff.page, platform, admin, opens_at=datetime.now(UTC),
                                starts_in_days=0, closes_at=closes)
    sign_in_from_class(trainee, class_id, title, "周九")
    result = page.locator("#enrol-result")
    expect(result).to_contain_text("今天开课，请按时到场")
    expect(result).not_to_contain_text("开课前一天")
    expect(page.get_by_text("还有名额，报名即确认。")).to_have_count(0)
    trainee.assert_clean()


def test_an_answer_lost_on_the_way_is_retried_with_the_same_key_and_enrols_once(
    platform: Platform, admin: Staff, staff: Person, trainee: Person, posts: list[str]
) -> None:
    page = trainee.page
    lost: list[int] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        answer = route.fetch()  # the service enrols...
        lost.append(answer.status)
        route.abort("connectionreset")  # ...but the phone never hears it

    class_id, title = api_class(staff.page, platform, admin, opens_at=None, starts_in_days=4)
    page.route("**/api/v1/enrollments", lose_first_answer)
    sign_in_from_class(trainee, class_id, title, "王十二")
    expect(page.locator("#enrol-result")).to_contain_text("报名成功！")
    assert lost == [201], lost
    assert len(posts) == 2, posts  # the lost one and its retry...
    assert posts[0] == posts[1], posts  # ...with the same Idempotency-Key
    trainee.go("/me/enrolments")
    expect(page.locator(".enrolment", has_text=title)).to_have_count(1)
    trainee.assert_clean()
