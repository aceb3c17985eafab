"""The whole journey in a real browser, on a laptop screen and on a 390x844 phone screen.

An administrator sets up a trainer, a course and a one-seat class; trainee A enrols and gets
the seat, trainee B lands on the waitlist; A cancels and B is promoted; the trainer marks
attendance, enters scores and releases results; B's certificate appears, its PDF downloads,
and the public verification page shows it valid, then revoked after the trainer revokes it.
On the laptop run trainee B is named `<script>alert(1)</script>`: every page that shows the
name must show it as text, and no JavaScript dialog may ever open.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import assert_shows_as_text, enrol, move_to_today, set_up_class
from tests.browser.support import (
    DESKTOP,
    EVENTUAL_S,
    PHONE,
    XSS_NAME,
    Person,
    Staff,
    Viewport,
    new_phone,
    poll,
    unique_tag,
    visible_within,
)

pytestmark = pytest.mark.browser


def test_trainee_enrols_waits_is_promoted_and_gets_a_verifiable_certificate_that_can_be_revoked(
    browser: Browser, platform: Platform, admin: Staff, viewport: Viewport
) -> None:
    tag = unique_tag()
    started_on = _business_day()
    hostile = viewport is DESKTOP
    name_b = XSS_NAME if hostile else f"李四{tag}"
    people = {who: Person.open(browser, platform.base_url, viewport)
              for who in ("admin", "a", "b", "trainer", "public")}
    admin_p, a, b, trainer, public = (people[k] for k in ("admin", "a", "b", "trainer", "public"))
    try:
        setup = set_up_class(admin_p, admin, tag)

        # Trainee A takes the only seat.
        phone_a = new_phone()
        enrol(a, setup, phone_a, f"张三{tag}", shot=True)
        expect(a.page.locator("#enrol-result")).to_contain_text("报名成功")
        a.shot("02-class-enrolled")

        # Trainee B lands on the waitlist, at position 1, and reads it in English too.
        phone_b = new_phone()
        enrol(b, setup, phone_b, name_b)
        expect(b.page.locator("#enrol-result")).to_contain_text("您是候补第 1 位")
        b.shot("03-class-waitlisted")
        b.page.get_by_role("button", name="English").click()
        expect(b.page.locator("#my-status")).to_have_text("You are number 1 on the waitlist")
        expect(b.page.locator("html")).to_have_attribute("lang", "en")
        b.page.reload()
        expect(b.page.locator("#my-status")).to_have_text("You are number 1 on the waitlist")
        b.page.get_by_role("button", name="中文").click()
        expect(b.page.locator("html")).to_have_attribute("lang", "zh-CN")

        # B watches "my enrolments"; A cancels; B's page moves to confirmed by itself.
        b.go("/me/enrolments")
        card_b = b.page.locator(".enrolment", has_text=setup.course_title)
        expect(card_b.locator(".status-line")).to_have_text("您是候补第 1 位")
        a.go("/me/enrolments")
        card_a = a.page.locator(".enrolment", has_text=setup.course_title)
        card_a.get_by_role("button", name="取消报名").click()
        a.confirm()
        expect(card_a.locator(".badge").first).to_have_text("已取消")
        expect(b.page.locator(".enrolment", has_text=setup.course_title).locator(".status-line")
               ).to_have_text("已确认名额", timeout=20_000)
        b.shot("04-my-enrolments")
        b.go("/me/profile")
        expect(b.page.locator(".profile-name .name")).to_have_text(name_b)
        if hostile:
            assert_shows_as_text(b.page, XSS_NAME)

        # The class moves to today so that it can be taught and assessed in this test.
        move_to_today(admin_p, setup)

        # The trainer marks attendance, enters scores and releases the results.
        trainer.sign_in_staff(setup.trainer)
        trainer.heading("我的班次")
        trainer.page.locator(f"[data-class-id='{setup.class_id}']").get_by_role(
            "link", name="花名册").click()
        roster = trainer.page.locator("#roster")
        row_b = roster.locator("tr", has=trainer.page.locator(".name", has_text=name_b))
        expect(row_b.locator(".badge")).to_have_text("已确认")
        expect(row_b.locator(".phone")).to_have_text(re.compile(r"\*{4}"))
        if hostile:
            assert_shows_as_text(trainer.page, XSS_NAME)
        # The caption's words are on screen, also where the table is wider than a phone.
        left, right = roster.locator("caption").evaluate(
            "c => { const r = document.createRange(); r.selectNodeContents(c);"
            " const b = r.getBoundingClientRect(); return [b.left, b.right]; }")
        assert 0 <= left < right <= viewport.options["viewport"]["width"], (left, right)
        trainer.shot("07-roster")

        # Releasing before any attendance is taken today is refused, naming the day.
        trainer.page.get_by_role("link", name="成绩").click()
        trainer.page.get_by_role("button", name="发布成绩").click()
        trainer.confirm()
        expect(trainer.page.locator("#release-error")).to_have_text(re.compile(
            r"^这些日期还没有登记考勤：\d{4}年\d{1,2}月\d{1,2}日。"))

        trainer.page.get_by_role("link", name="考勤").click()
        expect(trainer.page.locator("#attendance-form")).to_be_visible()  # left the scores tab
        trainer.page.get_by_label(name_b).select_option("present")
        trainer.page.get_by_role("button", name="保存考勤").click()
        expect(trainer.page.locator("#attendance-form .form-message")).to_contain_text("已保存")

        trainer.page.get_by_role("link", name="成绩").click()
        trainer.page.get_by_label(f"{name_b} 的理论成绩").fill("150")
        expect(trainer.page.locator("#scores-form .field-error").first).to_have_text(
            "分数应在 0 到 100 之间。")
        trainer.page.get_by_label(f"{name_b} 的理论成绩").fill("85")
        trainer.page.get_by_label(f"{name_b} 的实操成绩").fill("90.5")
        trainer.page.get_by_role("button", name="保存成绩").click()
        expect(trainer.page.locator("#scores-form .form-message")).to_contain_text("已保存 1 人")
        trainer.page.get_by_role("button", name="发布成绩").click()
        trainer.confirm()
        expect(trainer.page.locator("#release-result")).to_contain_text("结业 1 人")
        trainer.shot("08-scores-released")

        # B's certificate appears by itself; the PDF downloads; the public page says valid.
        b.go("/me/certificates")
        cert = b.page.locator(".certificate").first
        expect(cert).to_be_visible(timeout=30_000)
        expect(cert.locator(".holder")).to_have_text(name_b)
        expect(cert.locator(".badge").first).to_have_text("有效")
        number = cert.locator(".cert-number").inner_text()
        b.shot("05-my-certificates")
        expect(cert.locator(".facts")).to_contain_text("职业（工种）咖啡师（咖啡师）")
        b.page.get_by_role("button", name="English").click()
        expect(cert.locator(".facts")).to_contain_text("Occupation (type of work)咖啡师 (咖啡师)")
        b.page.get_by_role("button", name="中文").click()
        expect(cert.locator(".facts")).to_contain_text("职业（工种）")
        with b.page.expect_download() as download:
            cert.get_by_role("button", name="下载 PDF").click()
        pdf = download.value
        assert pdf.suggested_filename == f"certificate-{number}.pdf"
        with open(pdf.path(), "rb") as file:
            assert file.read(5) == b"%PDF-"
        verify_url = cert.get_by_role("link", name="查验链接").get_attribute("href") or ""
        assert verify_url.startswith(platform.base_url + "/verify/"), verify_url
        b.page.locator(".certificate h3 a").first.click()
        expect(b.page.locator(".certificate .holder")).to_have_text(name_b)
        if hostile:
            assert_shows_as_text(b.page, XSS_NAME)

        # B's class page says B completed it and offers nothing to do (and shows nothing else).
        b.go(f"/classes/{setup.class_id}")
        expect(b.page.locator("#my-status")).to_have_text("已结业")
        expect(b.page.locator("#enrol .actions")).to_have_count(0)
        assert "null" not in b.page.locator("#enrol").inner_text()

        public.page.goto(verify_url)
        expect(public.page.locator(".status")).to_contain_text("有效")
        expect(public.page.get_by_text(number)).to_be_visible()
        if hostile:
            masked = "<" + "*" * (len(XSS_NAME) - 2) + ">"
            assert_shows_as_text(public.page, masked)
        public.shot("09-verify-valid")

        # The trainer revokes it; the same URL now says revoked, with the reason.
        trainer.go(f"/trainer/classes/{setup.class_id}/certificates")
        row = trainer.page.locator("#certificates tr", has_text=number)
        row.get_by_role("button", name="撤销").click()
        trainer.confirm(reason="考核材料不实")
        expect(trainer.page.locator("#certificates tr", has_text=number).locator(".badge")
               ).to_have_text("已撤销")

        def says_revoked() -> bool:
            public.page.goto(verify_url)
            return visible_within(public.page.locator(".status", has_text="已撤销"))

        # The page is public and cacheable (max-age = verify_cache_max_age_s, 30 s): this browser
        # may show its copy from before the revocation that long, so wait past it.
        poll(says_revoked, what="the verification page to show the certificate revoked",
             within_s=EVENTUAL_S + 30)
        expect(public.page.locator(".status")).to_contain_text("考核材料不实")
        public.shot("10-verify-revoked")

        # Every message to B is in the administrator's log, newest first.
        admin_p.go(f"/admin/messages?recipient={phone_b}")
        expect(admin_p.page.locator("#notifications tbody tr").first).to_contain_text(
            "certificate.revoked")
        if hostile:
            # SMS variables are shortened ("<script>alert(1)</s…"), still text, never markup.
            shortened = XSS_NAME[:18]
            for person, path in ((admin_p, None), (b, "/me/messages"),
                                 (public, f"/dev/inbox?phone={phone_b}")):
                if path:
                    person.go(path)
                expect(person.page.get_by_text(shortened).first).to_be_visible()
                assert person.page.locator("script:not([src])").count() == 0

        # The administrator's dashboard counts today's enrolments, messages and error queues.
        admin_p.go("/admin")
        if _business_day() == started_on:  # past midnight in Shanghai, today has none yet
            expect(admin_p.page.locator("#stat-enrolments-today .value")).not_to_have_text("0")
        expect(admin_p.page.locator("#queue-depths tbody tr")).to_have_count(3)
        expect(admin_p.page.locator("#queue-depths .error-count").first).to_have_text("0")
        admin_p.shot("11-admin-dashboard")

        for person in people.values():
            person.assert_clean()
    finally:
        for person in people.values():
            person.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=lambda v: v.name)
def viewport(request: pytest.FixtureRequest) -> Viewport:
    """Run on a laptop screen and on a 390x844 phone screen."""
    value: Viewport = request.param
    return value


def _business_day() -> date:
    """Today in the platform's business time zone (its default, Asia/Shanghai)."""
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
