"""The trainer console on a 390x844 phone shows the current state in every tab without a
reload: after releasing results the scores tab's 结果 column says 合格 at once, and a roster
tab left open elsewhere catches up with the scores and the result by itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import api_class, mark_present_and_pass, release_results
from tests.browser.support import PHONE, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_released_results_show_in_the_scores_tab_at_once_and_in_an_open_roster_tab_by_itself(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    people = {who: Person.open(browser, platform.base_url, PHONE)
              for who in ("desk", "watcher", "trainee")}
    desk, watcher, trainee = people["desk"], people["watcher"], people["trainee"]
    try:
        class_id, title = api_class(desk.page, platform, admin, opens_at=datetime.now(UTC),
                                    starts_in_days=0,
                                    closes_at=datetime.now(UTC) + timedelta(hours=2))
        name = f"郑十一{unique_tag()}"
        trainee.go(f"/classes/{class_id}")
        trainee.page.get_by_role("link", name="登录并报名").click()
        trainee.sign_in_trainee(new_phone(), name)
        expect(trainee.page.locator("#enrol-result")).to_contain_text("报名成功")

        # Someone keeps the roster tab open on another phone.
        watcher.sign_in_staff(admin)
        watcher.go(f"/trainer/classes/{class_id}/roster")
        watcher.heading(title)
        row = watcher.page.locator("#roster tr", has_text=name)
        expect(row.locator("[data-live=result]")).to_have_text("—")

        desk.sign_in_staff(admin)
        mark_present_and_pass(desk, class_id, name)
        scores_row = desk.page.locator("#scores-form tbody tr", has_text=name)
        expect(scores_row.locator("[data-live=result]")).to_have_text("—")
        release_results(desk)
        expect(scores_row.locator("[data-live=result]")).to_have_text("合格")
        expect(desk.page.get_by_label(f"{name} 的理论成绩")).to_have_value("75")
        desk.shot("14-console-released")

        # The roster tab, never reloaded, follows (it polls every 10 s while visible).
        expect(row.locator("[data-live=theory]")).to_have_text("75", timeout=30_000)
        expect(row.locator("[data-live=result]")).to_have_text("合格", timeout=30_000)
        for person in people.values():
            person.assert_clean()
    finally:
        for person in people.values():
            person.close()
