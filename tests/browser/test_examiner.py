"""Four eyes through the real platform: the trainer who released the results cannot get the
certificate signed; an examiner the administrator created approves it from the review queue."""

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
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_a_trainer_alone_cannot_get_a_certificate_signed_and_an_examiner_can(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    people = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(4)]
    admin_p, trainee, trainer, examiner_p = people
    name = f"孙八{tag}"
    try:
        # A course with no work type (工种 left empty).
        setup = release_for_approval(admin_p, trainee, trainer, staff_admin=admin, tag=tag,
                                     name=name, work_type="")
        examiner = Staff(name=f"考评员{tag}", phone=new_phone(), password=f"examiner-{tag}")
        create_staff(admin_p, "examiner", examiner)

        # The trainer is offered neither approval nor issuing now.
        awaiting = awaiting_certificate(trainer, setup, name)
        row = trainer.page.locator("#certificates tr", has_text=name)
        expect(row.get_by_role("button", name="批准")).to_have_count(0)
        trainer_cannot_issue(trainer, awaiting)
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
        # No work type: the occupation alone, never "咖啡师（--）".
        expect(issued.locator(".facts")).to_contain_text("职业（工种）咖啡师培训课程")
        expect(issued.locator(".facts")).not_to_contain_text("--")
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
