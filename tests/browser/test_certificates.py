"""The class console's certificates under four eyes: the trainer releases but cannot issue;
an administrator (not teaching the class) issues now for a passing result and asks to reissue a
valid certificate (not a suspended one), which waits for an examiner's approval (never the
requester's); the trainer may suspend, only the administrator reinstates; a stale page shows the
service's refusal as text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import (
    awaiting_certificate,
    create_staff,
    release_for_approval,
    trainer_cannot_issue,
)
from tests.browser.support import DESKTOP, PHONE, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_a_trainer_cannot_issue_an_admin_issues_now_and_reissues_and_a_stale_page_is_refused(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    people = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(5)]
    admin_p, trainee, trainer, second, examiner_p = people
    name = f"郑十一{tag}"
    try:
        # The course needs approval: after the release the certificate waits, not issued.
        setup = release_for_approval(admin_p, trainee, trainer, staff_admin=admin, tag=tag,
                                     name=name)
        tab = setup.certificates_tab
        awaiting = awaiting_certificate(trainer, setup, name)
        expect(awaiting.locator(".badge")).to_have_text("待审核")
        trainer.shot("14-certificates")
        # The trainer who released the results cannot also issue: no button offers it.
        trainer_cannot_issue(trainer, awaiting)

        # A second administrator's page opens the same tab now; it goes stale below.
        second.sign_in_staff(admin)
        second.go(tab)
        stale = second.page.locator("#awaiting-results tr", has_text=name)
        expect(stale.get_by_role("button", name="立即发证")).to_be_visible()

        # The administrator issues it now: numbered and valid at once.
        admin_p.go(tab)
        waiting = admin_p.page.locator("#awaiting-results tr", has_text=name)
        waiting.get_by_role("button", name="立即发证").click()
        admin_p.confirm()
        expect(admin_p.page.locator("#toast")).to_contain_text(f"已为 {name} 签发证书")
        row = admin_p.page.locator("#certificates tr", has_text=name)
        expect(row.locator(".badge")).to_have_text("有效")
        expect(admin_p.page.locator("#awaiting-results")).to_have_count(0)
        number = row.locator("a").inner_text()
        assert re.fullmatch(r"JX-\d{4}-L4-\d{6}", number), number

        # On a phone the trainer's list is one block per certificate, each action label on one
        # line; a trainer may suspend, never reissue.
        on_phone = Person.open(browser, platform.base_url, PHONE)
        people.append(on_phone)
        on_phone.sign_in_staff(setup.trainer)
        on_phone.go(tab)
        phone_row = on_phone.page.locator("#certificates tr", has_text=name)
        expect(phone_row.get_by_role("button", name="暂停")).to_be_visible()
        expect(phone_row.get_by_role("button", name="重新发证")).to_have_count(0)
        assert on_phone.page.evaluate(
            "() => { const t = document.getElementById('certificates');"
            " return t.scrollWidth <= t.parentElement.clientWidth; }"), "the table scrolls sideways"
        for button in phone_row.get_by_role("button").all():
            box = button.bounding_box()
            assert box is not None
            assert box["height"] < 48, (button.inner_text(), box)

        # The stale page asks again: the service says 409 already_issued, shown in the row.
        stale.get_by_role("button", name="立即发证").click()
        second.confirm()
        expect(stale.locator(".row-error")).to_have_text("证书已经签发过了。")

        # Reissue: a reason is required; the request waits, pending beside the certificate still
        # in force, for a second person: the administrator who asked cannot approve it.
        second.go(tab)
        old_row = second.page.locator("#certificates tr", has_text=name)
        expect(old_row.get_by_role("button", name="重新发证")).to_be_visible()
        admin_p.page.get_by_role("button", name="English").click()
        row = admin_p.page.locator("#certificates tr", has_text=name)
        expect(row.get_by_role("button", name="Reissue")).to_be_visible()
        admin_p.page.get_by_role("button", name="中文").click()
        row = admin_p.page.locator("#certificates tr", has_text=name)
        row.get_by_role("button", name="重新发证").click()
        dialog = admin_p.page.locator("dialog[open]")
        dialog.locator("button[value=ok]").click()
        expect(dialog).to_be_visible()  # no reason, no reissue
        admin_p.confirm(reason="姓名录入有误")
        expect(admin_p.page.locator("#toast")).to_contain_text("已申请重新发证")
        held = admin_p.page.locator("#certificates tr[data-status=pending]", has_text=name)
        expect(held.locator(".replaces")).to_be_visible()
        in_force = admin_p.page.locator("#certificates tr[data-status=valid]", has_text=name)
        expect(in_force.locator("a")).to_have_text(number)
        held.get_by_role("button", name="批准").click()
        admin_p.confirm()
        expect(held.locator(".row-error")).to_have_text(
            "申请重新发证的人不能批准这次重新发证，请由另一位考评员或管理员审核。")

        # The second page, stale, asks again: 409 reissue_pending, as text.
        old_row.get_by_role("button", name="重新发证").click()
        second.confirm(reason="再次重发")
        expect(old_row.locator(".row-error")).to_have_text("这张证书已有一份重新发证申请待审核。")

        # An examiner approves it from the review queue: a new number, the same certificate page.
        examiner = Staff(name=f"考评员{tag}", phone=new_phone(), password=f"examiner-{tag}")
        create_staff(admin_p, "examiner", examiner)
        examiner_p.sign_in_staff(examiner)
        examiner_p.heading("待审核的证书")
        pending = examiner_p.page.locator("#pending-certificates tr", has_text=name)
        expect(pending.locator(".replaces")).to_be_visible()
        pending.get_by_role("button", name="批准").click()
        examiner_p.confirm()
        expect(examiner_p.page.locator("#toast")).to_contain_text("证书已签发")
        admin_p.go(tab)
        row = admin_p.page.locator("#certificates tr", has_text=name)
        expect(row.locator(".badge")).to_have_text("有效")
        expect(row.locator("a")).not_to_have_text(number)
        expect(row.locator("a")).to_have_text(re.compile(r"^JX-\d{4}-L4-\d{6}$"))

        # The second page still shows the replaced certificate: 409 replaced, as text.
        old_row.get_by_role("button", name="重新发证").click()
        second.confirm(reason="再次重发")
        expect(old_row.locator(".row-error")).to_have_text("这张证书已被新证书替换，请刷新页面。")

        # The trainer suspends it; only the administrator is offered reinstatement, and a
        # suspended certificate is never offered a reissue (valid ones only).
        trainer.go(tab)
        row = trainer.page.locator("#certificates tr", has_text=name)
        row.get_by_role("button", name="暂停").click()
        trainer.confirm(reason="核查中")
        expect(row.locator(".badge")).to_have_text("已暂停")
        expect(row.get_by_role("button", name="恢复")).to_have_count(0)
        admin_p.go(tab)
        row = admin_p.page.locator("#certificates tr", has_text=name)
        expect(row.get_by_role("button", name="恢复")).to_be_visible()
        expect(row.get_by_role("button", name="重新发证")).to_have_count(0)
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
