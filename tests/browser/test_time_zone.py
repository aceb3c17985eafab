"""Times are Beijing time wherever the browser is: a class's enrolment window reads the same in
New York as in Beijing, and says which zone it is in."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import CHINA, api_class, china_today
from tests.browser.support import DESKTOP, Person, Staff

pytestmark = pytest.mark.browser


def test_a_browser_in_new_york_shows_the_enrolment_window_in_beijing_time(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    staff = Person.open(browser, platform.base_url, DESKTOP)
    visitor = Person.open(browser, platform.base_url, DESKTOP, timezone_id="America/New_York")
    try:
        opens = datetime.combine(china_today() + timedelta(days=1), time(9, 30), tzinfo=CHINA)
        closes = datetime.combine(china_today() + timedelta(days=2), time(18, 0), tzinfo=CHINA)
        class_id, _ = api_class(staff.page, platform, admin, opens_at=opens, closes_at=closes,
                                starts_in_days=3)
        visitor.go(f"/classes/{class_id}")
        main = visitor.page.locator("main")
        expect(main).to_contain_text(f"{opens.day}日 09:30（北京时间）")
        expect(main).to_contain_text(f"{closes.day}日 18:00（北京时间）")
        visitor.page.get_by_role("button", name="English").click()
        expect(main).to_contain_text("09:30 (Beijing time)")
        visitor.assert_clean()
    finally:
        visitor.close()
        staff.close()
