"""QR check-in at phone size: the trainee's camera reads the code the trainer's screen shows
(here zxing-cpp reads it from a screenshot of the rendered QR image), checks in and out, and
the roster shows the minutes; the trainer corrects a check-in and downloads the claim pack."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.platform import Platform
from tests.browser.steps import CHINA, enrol, move_to_today, set_up_class
from tests.browser.support import DESKTOP, PHONE, Person, Staff, new_phone, unique_tag

pytestmark = pytest.mark.browser


def read_qr(page: Page) -> str:
    """Return what the QR image on the trainer's screen says, read from its pixels."""
    canvas = page.locator("#checkin-qr")
    expect(canvas).to_have_attribute("data-url", re.compile(r"/checkin/"))
    image = Image.open(io.BytesIO(canvas.screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    return str(found[0].text)


def minutes_of(row: Locator) -> tuple[int, int]:
    """Return the minutes a row of the minutes table shows, and the whole minutes between the
    check-in and check-out times it shows (the session spans both)."""
    came, left = (datetime.strptime(t, "%H:%M:%S")
                  for t in (row.locator(".times").text_content() or "").strip().split("–"))
    return (int(row.locator(".total-minutes").text_content() or ""),
            int((left - came).total_seconds() // 60))


def session_around_now() -> tuple[str, str]:
    """Return local start and end times of a session open for check-in now, within today."""
    now = datetime.now(CHINA)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(midnight, now - timedelta(minutes=20))
    end = min(midnight + timedelta(hours=23, minutes=59), now + timedelta(minutes=60))
    return f"{start:%H:%M}", f"{end:%H:%M}"


def test_a_trainee_at_phone_size_scans_the_trainers_qr_checks_in_and_out_and_the_roster_shows_minutes(  # noqa: E501
    browser: Browser, platform: Platform, admin: Staff,
) -> None:
    tag = unique_tag()
    admin_p = Person.open(browser, platform.base_url, DESKTOP)
    trainer = Person.open(browser, platform.base_url, DESKTOP)
    trainee = Person.open(browser, platform.base_url, PHONE)
    people = [admin_p, trainer, trainee]
    name = f"孙签到{tag}"
    try:
        setup = set_up_class(admin_p, admin, tag)
        enrol(trainee, setup, new_phone(), name)
        move_to_today(admin_p, setup)

        # The trainer gives today one session around now, then shows its check-in code.
        trainer.sign_in_staff(setup.trainer)
        trainer.go(f"/trainer/classes/{setup.class_id}/checkin")
        page = trainer.page
        page.locator("details", has_text="课时安排").locator("summary").click()
        sessions = page.locator("#sessions-form")
        start, end = session_around_now()
        sessions.get_by_label("第1节开始").fill(start)
        sessions.get_by_label("第1节结束").fill(end)
        sessions.get_by_label("第2节开始").fill("")
        sessions.get_by_label("第2节结束").fill("")
        sessions.get_by_role("button", name="保存课时安排").click()
        expect(page.locator("#qr-kind")).to_have_text("签到码")
        expect(page.locator("#checkin-session")).to_contain_text(f"第1节 {start}-{end}")
        trainer.shot("30-checkin-qr")

        # The trainee's phone opens what the code says and checks in with one tap.
        url = read_qr(page)
        assert url.startswith(platform.base_url + "/checkin/"), url
        assert url == page.locator("#checkin-qr").get_attribute("data-url")
        trainee.page.goto(url)
        trainee.heading("课堂签到")
        trainee.page.get_by_role("button", name="确认签到").click()
        expect(trainee.page.locator("#checkin-result")).to_contain_text("签到成功")
        trainee.shot("31-checkin")

        # The trainer switches to the check-out code; the phone reads it and checks out.
        page.get_by_role("button", name="签退码").click()
        expect(page.locator("#qr-kind")).to_have_text("签退码")
        expect(page.locator("#checkin-qr")).to_have_attribute("data-url", re.compile(r"~out~"))
        out_url = read_qr(page)
        assert "~out~" in out_url
        trainee.page.goto(out_url)
        trainee.heading("课堂签退")
        trainee.page.get_by_role("button", name="确认签退").click()
        expect(trainee.page.locator("#checkin-result")).to_contain_text("签退成功")

        # The trainee gives a person category for the bureau's roster.
        trainee.go("/me/profile")
        category = trainee.page.locator("#person-category-form")
        category.get_by_label("人员类别").select_option("migrant_worker")
        category.get_by_role("button", name="更新人员类别").click()
        expect(category.locator(".form-message")).to_contain_text("已保存")

        # Minutes attended are the overlap of check-in and check-out with the session.
        trainer.go(f"/trainer/classes/{setup.class_id}/checkin")
        row = page.locator("#minutes tr", has=page.locator(".name", has_text=name))
        expect(row.locator(".times")).to_contain_text(re.compile(r"\d{2}:\d{2}:\d{2}–\d{2}:\d{2}:\d{2}"))
        shown, overlap = minutes_of(row)
        assert shown == overlap

        # The trainer records the check-in at the session's start (seen in person): minutes
        # then run from the start to the check-out, and the roster shows them.
        page.locator("details", has_text="补录或更正签到").locator("summary").click()
        correction = page.locator("#correction-form")
        correction.get_by_label("签到时间").fill(start)
        correction.get_by_label("原因（将记入审计记录）").fill("本人到场，手机没电")
        correction.get_by_role("button", name="保存").click()
        expect(row.locator(".times")).to_contain_text(f"{start}:00–")  # the corrected check-in
        minutes, overlap = minutes_of(row)
        assert minutes == overlap
        trainer.shot("32-checkin-minutes")
        trainer.go(f"/trainer/classes/{setup.class_id}/roster")
        roster_row = page.locator("#roster tr", has=page.locator(".name", has_text=name))
        expect(roster_row.locator(".minutes")).to_have_text(str(minutes))

        # The claim pack: the training ledger as XLSX, laid out by the default template.
        trainer.go(f"/trainer/classes/{setup.class_id}/claim")
        page.locator("details", has_text="教学计划与考核方案").locator("summary").click()
        plans = page.locator("#plans-form")
        plans.get_by_label("教学计划").fill("上午：意式浓缩；下午：拉花")
        plans.get_by_role("button", name="保存").click()
        expect(plans.locator(".form-message")).to_contain_text("已保存")
        trainer.shot("33-claim-pack")
        with page.expect_download() as done:
            page.locator("#claim-pack tr[data-document=ledger]").get_by_role(
                "button", name="XLSX").click()
        assert done.value.suggested_filename == f"ledger-{setup.class_id}.xlsx"
        data = done.value.path().read_bytes()
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0][0] == "培训台账（签到签退记录）"
        entry = next(r for r in rows if len(r) > 3 and r[3] == name)
        assert entry[6] == minutes
        assert str(entry[4]).endswith("（教师补录）")
        expect(page.locator(".claim-progress")).to_have_attribute("value", re.compile(r"\d+"))
        for person in people:
            person.assert_clean()
    finally:
        for person in people:
            person.close()
