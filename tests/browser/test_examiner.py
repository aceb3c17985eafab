"""Four eyes through the real platform: the trainer who released the results cannot get the
certificate signed; an examiner the administrator created approves it from the review queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.platform import Platform
from tests.browser.steps import assess_and_release, enrol, move_to_today, set_up_class
from tests.browser.support import (
    DESKTOP,
    Person,
    Staff,
    new_phone,
    poll,
    unique_tag,
    visible_within,
)

pytestmark = pytest.mark.browser


def test_a_trainer_alone_cannot_get_a_certificate_signed_and_an_examiner_can(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    people = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(4)]
    admin_p, trainee, trainer, examiner_p = people
    name = f"孙八{tag}"
    try:
        setup = set_up_class(admin_p, admin, tag, issue_policy="approval")
        examiner = Staff(name=f"考评员{tag}", phone=new_phone(), password=f"examiner-{tag}")
        admin_p.go("/admin/users?new=1")
        form = admin_p.page.locator("#create-user")
        form.get_by_label("身份").select_option("examiner")
        form.get_by_label("姓名").fill(examiner.name)
        form.get_by_label("手机号").fill(examiner.phone)
        form.get_by_label("初始密码").fill(examiner.password)
        form.get_by_role("button", name="创建账号").click()
        expect(form.locator(".form-message")).to_contain_text(examiner.name)

        enrol(trainee, setup, new_phone(), name)
        move_to_today(admin_p, setup)
        assess_and_release(trainer, setup, name)

        # The trainer is offered no approval, and issuing now is refused with the reason.
        tab = f"/trainer/classes/{setup.class_id}/certificates"
        awaiting = trainer.page.locator("#awaiting-results tr", has_text=name)

        def listed() -> bool:
            trainer.go(tab)
            return visible_within(awaiting)

        poll(listed, what="the released result waiting for a certificate")
        row = trainer.page.locator("#certificates tr", has_text=name)
        expect(row.get_by_role("button", name="批准")).to_have_count(0)
        awaiting.get_by_role("button", name="立即发证").click()
        trainer.confirm()
        expect(awaiting.locator(".row-error")).to_have_text(
            "本班培训师不能审核本班的证书，请由考评员或管理员审核。")
        trainee.go("/me/certificates")
        expect(trainee.page.locator(".certificate[data-status=pending]")).to_have_count(1)

        # The examiner signs in to the review queue and approves it: numbered and signed.
        examiner_p.sign_in_staff(examiner)
        examiner_p.heading("待审核的证书")
        pending = examiner_p.page.locator("#pending-certificates tr", has_text=name)
        pending.get_by_role("button", name="批准").click()
        examiner_p.confirm()
        expect(examiner_p.page.locator("#toast")).to_contain_text("证书已签发")
        trainee.go("/me/certificates")
        issued = trainee.page.locator(".certificate[data-status=valid]")
        expect(issued.locator(".cert-number")).to_have_text(
            re.compile(r"^JX-\d{4}-L4-\d{6}$"), timeout=20_000)
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
