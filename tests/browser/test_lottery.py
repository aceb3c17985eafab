"""A lottery class in the browser: the administrator makes it one, trainees apply, the lots are
drawn early with a published reason, the public draw page shows the commitment before and the
seed and every rank after, each trainee sees the outcome; the survey page opens by code."""

from __future__ import annotations

import asyncio
import re
import threading

import asyncpg
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import set_up_class
from tests.browser.support import (
    DESKTOP,
    PHONE,
    Person,
    Staff,
    new_phone,
    poll,
    unique_tag,
    visible_within,
)

pytestmark = pytest.mark.browser


def completed_with_survey(dsn: str, class_id: str, code: str) -> None:
    """Results were released for the class's enrolments and the survey job invited them (both
    tested in tests/enrollment); here the page is what is tested."""

    async def work() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                """UPDATE enrollments SET status = 'completed' WHERE class_id = $1::uuid
                   AND status IN ('offered', 'confirmed')""", class_id)
            await conn.execute(
                """INSERT INTO surveys (id, enrollment_id, class_id, trainee_id, code,
                                        invited_at, followup_due_at)
                   SELECT gen_random_uuid(), id, class_id, trainee_id, $2, now(),
                          now() + interval '6 months'
                   FROM enrollments WHERE class_id = $1::uuid AND status = 'completed'""",
                class_id, code)
        finally:
            await conn.close()

    # Playwright's sync API runs an event loop in this thread: use another one.
    thread = threading.Thread(target=lambda: asyncio.run(work()))
    thread.start()
    thread.join()


def test_a_lottery_from_applying_to_the_public_draw(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    admin_p, a, b, public = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(4)]
    phone = Person.open(browser, platform.base_url, PHONE)
    people = [admin_p, a, b, public, phone]
    try:
        setup = set_up_class(admin_p, admin, tag, policy="offer")
        admin_p.go(f"/classes/{setup.class_id}")
        admin_p.page.get_by_role("link", name="摇号、资格规则与课程评价").click()
        admin_p.page.get_by_role("button", name="改为摇号").click()
        expect(admin_p.page.locator("#toast")).to_have_text("已改为摇号")
        expect(admin_p.page.locator("#allocation")).to_contain_text("本班为摇号班")

        phones = {}
        for person, name in ((a, f"赵六{tag}"), (b, f"钱七{tag}")):
            person.go(f"/classes/{setup.class_id}")
            person.page.get_by_role("link", name="登录").first.click()
            phones[name] = new_phone()
            person.sign_in_trainee(phones[name], name)
            person.go(f"/classes/{setup.class_id}")
            expect(person.page.locator("#apply h2")).to_have_text("摇号报名")
            person.page.get_by_role("button", name="申请参加摇号").click()
            expect(person.page.locator("#apply-result")).to_contain_text("已提交申请")
        a.shot("15-lottery-applied")

        public.go(f"/classes/{setup.class_id}/draw")
        public.heading("摇号公示")
        expect(public.page.locator("#commitment")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        commitment = public.page.locator("#commitment").inner_text()
        expect(public.page.get_by_text("报名中", exact=True)).to_be_visible()

        admin_p.go(f"/admin/classes/{setup.class_id}/lottery")
        admin_p.page.get_by_label("提前摇号的原因（将公示）").fill("场地提前确认，工会监督员在场直播")
        admin_p.page.get_by_role("button", name="立即摇号").click()
        expect(admin_p.page.locator("#toast")).to_have_text("已摇号")

        public.go(f"/classes/{setup.class_id}/draw")
        expect(public.page.locator("#seed")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
        expect(public.page.locator("#commitment")).to_have_text(commitment)
        rows = public.page.locator("#draw-entries tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("中签")
        expect(rows.nth(1)).to_contain_text("候补")
        expect(public.page.get_by_text("场地提前确认，工会监督员在场直播")).to_be_visible()
        public.shot("16-public-draw")
        phone.go(f"/classes/{setup.class_id}/draw")
        expect(phone.page.locator("#draw-entries tbody tr")).to_have_count(2)
        phone.shot("16-public-draw")

        # Each applicant's SMS on applying and with the result are in the message log (sent, or
        # held for quiet hours; a held "you applied" is dropped once the result is known).
        table = admin_p.page.locator("#notifications")
        for number in phones.values():

            def logged(number: str = number) -> bool:
                admin_p.go(f"/admin/messages?recipient={number}")
                expect(admin_p.page.locator("h1")).to_have_text("消息记录")
                return all(visible_within(table.locator("tr", has_text=kind))
                           for kind in ("application.submitted", "application.drawn"))

            poll(logged, what=f"the application and result messages of {number}")

        outcomes = []
        for person in (a, b):
            person.go("/me/enrolments")
            line = person.page.locator("#applications .big")
            expect(line).to_have_text(re.compile("中签|未中签"))
            outcomes.append(line.inner_text())
        assert sorted(o.split("（")[0] for o in outcomes) == ["中签", "未中签"]
        # A trainee records a level held from elsewhere, once, in certification (which checks
        # the number); enrollment's level rule learns of it from held_certificate.recorded.
        b.page.get_by_text("登记已持有的职业技能等级证书").click()
        form = b.page.locator("#skill-certificate")
        form.get_by_label("职业名称").fill("咖啡师")
        form.get_by_label("证书编号").fill("Y000011010000123400007")
        form.get_by_label("等级").select_option("3")
        form.get_by_role("button", name="保存").click()
        expect(b.page.locator("#toast")).to_have_text("证书已登记")
        expect(b.page.locator("#held-certificates li")).to_have_text(
            "咖啡师 · 三级/高级工 · Y000011010000123400007")

        # The one who was drawn completes the class and rates it.
        drawn = a if outcomes[0].startswith("中签") else b
        code = f"S{tag[-6:]}K".upper()[:8]
        completed_with_survey(platform.databases["enrollment"], setup.class_id, code)
        drawn.go("/me/enrolments")
        drawn.page.locator("#my-surveys a").first.click()
        drawn.heading("课程评价")
        for question in ("课程内容", "培训师", "场地与设施", "对工作的帮助", "是否愿意推荐给工友"):
            drawn.page.locator("fieldset", has_text=question).get_by_label("5 星").check()
        drawn.page.get_by_label("意见和建议（选填）").fill("老师讲得很清楚")
        drawn.page.get_by_role("button", name="提交评价").click()
        expect(drawn.page.locator("#survey-done")).to_have_text("感谢您的评价！")
        admin_p.go("/admin/surveys")
        row = admin_p.page.locator("#survey-results tr", has_text=setup.trainer.name)
        expect(row).to_contain_text("1 / 1")

        public.go("/survey")
        public.heading("课程评价")
        public.page.get_by_label("评价码").fill("NOSUCH99")
        public.page.get_by_role("button", name="打开评价").click()
        expect(public.page.get_by_text("评价码不存在，请核对短信中的评价码。")).to_be_visible()
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
