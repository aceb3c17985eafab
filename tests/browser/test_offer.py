"""A class that offers a freed seat: the head of the waitlist sees the deadline and accepts;
its course needs the trainer's approval before a certificate is issued."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import assess_and_release, enrol, move_to_today, set_up_class
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_the_head_of_the_waitlist_accepts_an_offered_seat_and_the_trainer_approves_the_certificate(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    people = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(4)]
    admin_p, a, b, trainer = people
    name_b = f"钱七{tag}"
    try:
        setup = set_up_class(admin_p, admin, tag, policy="offer", issue_policy="approval")
        enrol(a, setup, new_phone(), f"赵六{tag}")
        enrol(b, setup, new_phone(), name_b)
        expect(b.page.locator("#enrol-result")).to_contain_text("您是候补第 1 位")

        a.go("/me/enrolments")
        a.page.get_by_role("button", name="取消报名").click()
        a.confirm()
        expect(a.page.locator(".enrolment .badge").first).to_have_text("已取消")

        b.go("/me/enrolments")
        card = b.page.locator(".enrolment", has_text=setup.course_title)
        expect(card.locator(".badge").first).to_have_text("待确认", timeout=20_000)
        expect(card.locator(".status-line")).to_have_text(
            re.compile(r"^有一个名额留给您，请在 .+ 前确认$"))
        b.shot("12-offer")
        card.get_by_role("button", name="接受名额").click()
        expect(b.page.locator("#toast")).to_have_text("已接受名额，报名成功！")
        expect(b.page.locator(".enrolment", has_text=setup.course_title).locator(".badge").first
               ).to_have_text("已确认")
        card = b.page.locator(".enrolment", has_text=setup.course_title)
        history = card.locator("details.history")
        history.locator("summary").click()
        for step in ("候补中", "待确认", "已确认"):
            expect(history.locator("li", has_text=step)).to_have_count(1)

        # Results are released; the certificate waits for the trainer's approval.
        move_to_today(admin_p, setup)
        assess_and_release(trainer, setup, name_b)
        b.go("/me/certificates")
        pending = b.page.locator(".certificate[data-status=pending]")
        expect(pending.locator(".cert-status")).to_contain_text("等待培训师审核", timeout=30_000)
        trainer.go(f"/trainer/classes/{setup.class_id}/certificates")
        row = trainer.page.locator("#certificates tr", has_text=name_b)
        row.get_by_role("button", name="批准").click()
        trainer.confirm()
        expect(trainer.page.locator("#certificates tr", has_text=name_b).locator(".badge")
               ).to_have_text("有效")
        issued = b.page.locator(".certificate[data-status=valid]")
        expect(issued.locator(".cert-number")).to_have_text(re.compile(r"\S+"), timeout=20_000)
        expect(issued.get_by_role("button", name="下载 PDF")).to_be_visible()
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
