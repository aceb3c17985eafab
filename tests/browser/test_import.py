"""A trainer's roster import into the class they teach, with a result per row; the union
membership column of a trainer's file is not recorded (only an administrator's import records
it), and the page says so before the upload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from tests.browser.platform import Platform
from tests.browser.steps import set_up_class
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_a_trainer_imports_a_roster_into_their_class_with_a_result_per_row(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    people = [Person.open(browser, platform.base_url, DESKTOP) for _ in range(2)]
    admin_p, trainer = people
    try:
        page = trainer.page
        setup = set_up_class(admin_p, admin, tag)
        trainer.sign_in_staff(setup.trainer)
        trainer.go(f"/trainer/classes/{setup.class_id}/roster")
        page.get_by_role("link", name="导入名单").click()
        expect(page.locator("h2")).to_have_text("导入名单")
        expect(page.locator(".union-note")).to_contain_text("只在管理员导入时登记")

        imported, refused = new_phone(), "010-12345678"
        csv = f"手机号,姓名,工会会员\n{imported},周十二{tag},是\n{refused},座机用户,否\n".encode()
        upload = FilePayload(name="名单.csv", mimeType="text/csv", buffer=csv)
        page.get_by_label("CSV 文件").set_input_files(files=[upload])
        page.get_by_role("button", name="导入").click()
        result = page.locator("#import-result")
        expect(result.locator(".notice")).to_have_text("新增 1 人，已报名 0 人，未导入 1 人。")
        expect(result.locator("tr[data-row='2'][data-result=created]")).to_contain_text("已确认")
        expect(result.locator("tr[data-row='3'][data-result=refused] .why")).to_contain_text(
            "固定电话")
        expect(page.locator("#import-form .form-message")).to_be_empty()
        page.get_by_role("link", name="花名册").click()
        expect(page.locator("#roster")).to_contain_text(f"周十二{tag}")
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
