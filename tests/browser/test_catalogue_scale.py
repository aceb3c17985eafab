"""The catalogue with 10,000 courses on a 390x844 phone: every category by name with its open
classes, from at most 3 API requests; the filters live in the address (back, reload, share and
tapping the current tab keep them). The courses are written with COPY into this module's own
platform, so no other test meets them."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import Browser, Request, expect

from bench.catalogue_seed import CATEGORIES, Seeded, seed_catalogue
from tests.browser.platform import Platform, new_platform
from tests.browser.support import PHONE, Person

pytestmark = pytest.mark.browser

COURSES = 10_000
LAST = CATEGORIES[-1]  # only in the newest 500 courses


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Seeded]]:
    """A platform of its own whose catalogue has 10,000 courses, one class each."""
    running = new_platform(Path(tmp_path_factory.mktemp("big")), prefix="jxcat")
    try:
        running.start()
        yield running, _in_thread(_seed(running.databases["enrollment"]))
    finally:
        running.stop()


async def _seed(dsn: str) -> Seeded:
    conn = await asyncpg.connect(dsn)
    try:
        return await seed_catalogue(conn, courses=COURSES, classes_per_course=1,
                                    today=datetime.now(UTC).date(), tag="W")
    finally:
        await conn.close()


def _in_thread(work: object) -> Seeded:
    # Playwright's sync API keeps an event loop in this thread: run asyncpg in another one.
    out: list[Seeded] = []
    runner = threading.Thread(target=lambda: out.append(asyncio.run(work)))  # type: ignore[arg-type]
    runner.start()
    runner.join()
    assert out, "seeding failed (see the thread's traceback above)"
    return out[0]


def test_every_category_shows_by_name_with_its_open_classes_from_at_most_three_requests(
    browser: Browser, big: tuple[Platform, Seeded]
) -> None:
    platform, seeded = big
    trainee = Person.open(browser, platform.base_url, PHONE)
    api_calls: list[str] = []

    def record(request: Request) -> None:
        if "/api/" in request.url:
            api_calls.append(request.url)

    trainee.page.on("request", record)
    try:
        trainee.go("/")
        trainee.heading("培训课程")
        select = trainee.page.get_by_label("类别")
        options = select.locator("option")
        expect(options).to_have_count(len(CATEGORIES) + 1)
        expect(trainee.page.locator(".class-card").first).to_be_visible()
        assert len(api_calls) <= 3, api_calls
        for code, name_zh, _ in CATEGORIES:
            label = f"{name_zh}（{seeded.open_classes.get(code, 0)} 个班可报名）"
            expect(select.locator(f"option[value='{code}']")).to_have_text(label)
        labels = options.all_inner_texts()
        assert not any(code in label for code, _, _ in CATEGORIES for label in labels), labels

        select.select_option(LAST[0])  # the category only the newest courses have
        expect(trainee.page).to_have_url(re.compile(rf"category={LAST[0]}"))
        cards = trainee.page.locator(".class-card")
        expect(cards.first).to_contain_text(re.compile(r"W9[5-9]\d\d"))
        expect(trainee.page.locator("#class-list")).not_to_have_attribute("aria-busy", "true")
        for title in cards.locator("h2, h3").all_inner_texts():
            number = int(re.search(r"W(\d+)", title).group(1))  # type: ignore[union-attr]
            assert number >= COURSES - COURSES // 20, title
        trainee.shot("01-catalogue-categories")

        trainee.page.get_by_role("button", name="English").click()
        expect(trainee.page.get_by_label("Category").locator(f"option[value='{LAST[0]}']")
               ).to_have_text(f"{LAST[2]} ({seeded.open_classes[LAST[0]]} open)")
        trainee.page.get_by_role("button", name="中文").click()
        trainee.assert_clean()
    finally:
        trainee.close()


def test_search_category_and_open_now_stay_in_the_address_through_back_reload_share_and_tab(
    browser: Browser, big: tuple[Platform, Seeded]
) -> None:
    platform, _ = big
    trainee = Person.open(browser, platform.base_url, PHONE)
    page = trainee.page
    try:
        trainee.go("/")
        trainee.heading("培训课程")
        page.get_by_label("类别").select_option(LAST[0])
        expect(page).to_have_url(re.compile(rf"/\?category={LAST[0]}$"))
        page.get_by_label("只看可报名的班次").uncheck()
        expect(page).to_have_url(re.compile(r"open=0"))
        page.get_by_label("搜索").fill("W9999")
        page.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile(r"q=W9999"))
        expect(page.locator(".class-card")).to_have_count(1)
        filtered = page.url

        # Reload: the same filters and the same list.
        page.reload()
        expect(page.get_by_label("搜索")).to_have_value("W9999")
        expect(page.get_by_label("类别")).to_have_value(LAST[0])
        expect(page.get_by_label("只看可报名的班次")).not_to_be_checked()
        expect(page.locator(".class-card")).to_have_count(1)

        # Tapping 课程 while on 课程 keeps the address and even what is being typed.
        page.get_by_label("搜索").fill("W99")
        page.locator("#nav").get_by_role("link", name="课程").click()
        expect(page).to_have_url(filtered)
        expect(page.get_by_label("搜索")).to_have_value("W99")

        # Back: the step before (category, all classes), with the search box empty again.
        page.go_back()
        expect(page).to_have_url(re.compile(rf"/\?category={LAST[0]}&open=0$"))
        expect(page.get_by_label("搜索")).to_have_value("")
        expect(page.get_by_label("类别")).to_have_value(LAST[0])
        page.go_forward()
        expect(page.get_by_label("搜索")).to_have_value("W9999")

        # Share: another phone opening the link sees the same list.
        friend = Person.open(browser, platform.base_url, PHONE)
        try:
            friend.page.goto(filtered)
            expect(friend.page.get_by_label("搜索")).to_have_value("W9999")
            expect(friend.page.get_by_label("类别")).to_have_value(LAST[0])
            expect(friend.page.locator(".class-card")).to_have_count(1)
            friend.assert_clean()
        finally:
            friend.close()
        trainee.assert_clean()
    finally:
        trainee.close()
