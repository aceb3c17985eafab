"""Administrator pages: roster import with a result per row, seats, cancelling a class;
a trainee's notification preferences."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from tests.browser.platform import Platform
from tests.browser.steps import set_up_class
from tests.browser.support import DESKTOP, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def test_an_administrator_imports_a_roster_grows_the_class_and_cancels_it(
    browser: Browser, platform: Platform, admin: Staff
) -> None:
    tag = unique_tag()
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        page = person.page
        setup = set_up_class(person, admin, tag)
        person.go(f"/trainer/classes/{setup.class_id}/import")
        imported, refused = new_phone(), "010-12345678"
        csv = (f"phone,name\n{imported},孙八{tag}\n{refused},座机用户\n"
               f"{imported},孙八{tag}\n{new_phone()},\n").encode()
        upload = FilePayload(name="roster.csv", mimeType="text/csv", buffer=csv)
        page.get_by_label("CSV 文件").set_input_files(files=[upload])
        page.get_by_role("button", name="导入").click()
        result = page.locator("#import-result")
        expect(result.locator(".notice")).to_have_text("新增 1 人，已报名 1 人，未导入 2 人。")
        expect(result.locator("tr[data-row='2'][data-result=created]")).to_contain_text("已确认")
        expect(result.locator("tr[data-row='3'][data-result=refused] .why")).to_contain_text(
            "固定电话")
        expect(result.locator("tr[data-row='4'][data-result=already_enrolled] .why")).to_have_text(
            "这个手机号已在本班名单中。")
        expect(result.locator("tr[data-row='5'][data-result=refused] .why")).to_have_text(
            "缺少姓名。")
        expect(page.locator(".union-note")).to_have_count(0)
        person.shot("13-roster-import")

        page.get_by_role("link", name="花名册").click()
        expect(page.locator("#roster")).to_contain_text(f"孙八{tag}")

        person.go("/admin/classes")
        card = page.locator(f".admin-class[data-class-id='{setup.class_id}']")
        card.get_by_text("修改名额").click()
        card.locator(".capacity-form").get_by_label("名额").fill("3")
        card.locator(".capacity-form").get_by_role("button", name="保存").click()
        card = page.locator(f".admin-class[data-class-id='{setup.class_id}']")
        expect(card.locator(".seats-line")).to_have_text("剩余 2 个名额（共 3 个）")

        card.get_by_role("button", name="取消班次").click()
        person.confirm(reason="场地维修")
        card = page.locator(f".admin-class[data-class-id='{setup.class_id}']")
        expect(card.locator(".badge")).to_have_text("已取消")
        expect(card).to_contain_text("场地维修")
        person.assert_clean()
    finally:
        person.close()


def test_a_trainee_turns_email_on_and_sms_off_and_the_choice_is_kept(
    browser: Browser, platform: Platform
) -> None:
    person = Person.open(browser, platform.base_url, DESKTOP)
    try:
        page = person.page
        person.go("/sign-in?next=/me/preferences")
        person.sign_in_trainee(new_phone(), f"周九{unique_tag()}")
        person.heading("通知设置")
        page.get_by_label("短信通知").uncheck()
        page.get_by_label("邮件通知").check()
        page.get_by_label("邮件", exact=True).check()
        page.get_by_role("button", name="保存").click()
        expect(page.locator("#preferences-form .form-message")).to_have_text("通知设置已保存。")
        page.reload()
        expect(page.get_by_label("短信通知")).not_to_be_checked()
        expect(page.get_by_label("邮件通知")).to_be_checked()
        expect(page.get_by_label("邮件", exact=True)).to_be_checked()
        person.assert_clean()
    finally:
        person.close()
