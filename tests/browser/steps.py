"""Steps several browser tests share: the administrator's set-up, a trainee's enrolment, the
class console's certificates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.browser.platform import Platform
from tests.browser.support import Person, Staff, new_phone, poll, unique_tag, visible_within

CHINA = ZoneInfo("Asia/Shanghai")
CATEGORY = "餐饮服务"


def china_today() -> date:
    """Return today's date where the trainees are (the service's business time zone)."""
    return datetime.now(CHINA).date()


@dataclass(frozen=True)
class Setup:
    """What the administrator made for one run."""

    tag: str
    trainer: Staff
    course_title: str
    class_id: str

    @property
    def certificates_tab(self) -> str:
        """The path of the class console's certificates tab."""
        return f"/trainer/classes/{self.class_id}/certificates"


def assert_shows_as_text(page: Page, locator_text: str) -> None:
    """The hostile name is on the page as text, and no element was made from it."""
    expect(page.get_by_text(locator_text, exact=True).first).to_be_visible()
    assert page.locator("script:not([src])").count() == 0
    assert page.evaluate("() => document.body.innerHTML.includes('<script>alert(1)')") is False


def set_up_class(
    admin: Person, staff_admin: Staff, tag: str, *, policy: str = "auto_promote",
    issue_policy: str = "auto", work_type: str = "咖啡师",
) -> Setup:
    """Administrator: create a trainer, a course and a one-seat class starting tomorrow."""
    page = admin.page
    admin.sign_in_staff(staff_admin)
    admin.heading("概览")
    expect(page.locator("#enrolment-stats")).to_be_visible()

    trainer = Staff(name=f"王老师{tag}", phone=new_phone(), password=f"trainer-pass-{tag}")
    create_staff(admin, "trainer", trainer)

    title = f"咖啡师 {tag}"
    admin.go("/admin/courses?new=1")
    form = page.locator("#create-course")
    form.get_by_label("课程代码").fill(f"WEB-{tag}")
    form.get_by_label("类别").fill(CATEGORY)
    form.get_by_label("中文名称").fill(title)
    form.get_by_label("英文名称").fill(f"Barista {tag}")
    form.get_by_label("职业名称").fill("咖啡师")
    form.get_by_label("工种").fill(work_type)
    form.get_by_label("等级").select_option("4")
    form.get_by_label("学时").fill("8")
    form.get_by_label("发证方式").select_option(issue_policy)
    form.get_by_role("button", name="创建课程").click()
    expect(page.locator("#courses")).to_contain_text(f"WEB-{tag}")

    page.locator("#courses tr", has_text=f"WEB-{tag}").get_by_role("link", name="开新班").click()
    admin.heading("班次管理")
    form = page.locator("#create-class")
    tomorrow = (china_today() + timedelta(days=1)).isoformat()
    trainer_option = form.locator("select[name=trainer_ids] option", has_text=trainer.name)
    form.get_by_label("培训师").select_option(trainer_option.get_attribute("value") or "")
    form.get_by_label("名额", exact=True).fill("1")
    form.get_by_label("地点").fill("市工人文化宫 3 楼")
    form.get_by_label("开课日期").fill(tomorrow)
    form.get_by_label("结课日期").fill(tomorrow)
    form.get_by_label("候补规则").select_option(policy)
    form.get_by_role("button", name="创建班次").click()
    created = page.locator("#classes .admin-class.highlight")
    expect(created).to_contain_text(title)
    class_id = created.get_attribute("data-class-id") or ""
    if policy == "auto_promote":
        admin.shot("06-admin-classes")
    return Setup(tag=tag, trainer=trainer, course_title=title, class_id=class_id)


def create_staff(admin: Person, role: str, person: Staff) -> None:
    """Administrator (signed in): create a staff account with this role from the users page."""
    admin.go("/admin/users?new=1")
    form = admin.page.locator("#create-user")
    form.get_by_label("身份").select_option(role)
    form.get_by_label("姓名").fill(person.name)
    form.get_by_label("手机号").fill(person.phone)
    form.get_by_label("初始密码").fill(person.password)
    form.get_by_role("button", name="创建账号").click()
    expect(form.locator(".form-message")).to_contain_text(person.name)


def enrol(trainee: Person, setup: Setup, phone: str, name: str, *, shot: bool = False) -> None:
    """Trainee: find the class in the catalogue, sign in from it, enrol."""
    page = trainee.page
    trainee.go("/")
    trainee.heading("培训课程")
    page.get_by_label("类别").select_option(CATEGORY)  # applies at once
    expect(page).to_have_url(re.compile(r"category="))
    page.get_by_label("搜索").fill(setup.tag)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(rf"q={setup.tag}"))
    cards = page.locator(".class-card")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text(setup.course_title)
    expect(page.get_by_label("只看可报名的班次")).to_be_checked()
    if shot:
        trainee.shot("01-catalogue")
    page.get_by_role("link", name=setup.course_title).click()
    trainee.heading(setup.course_title)
    page.get_by_role("link", name="登录并报名").click()
    trainee.sign_in_trainee(phone, name)
    trainee.heading(setup.course_title)
    # Signing in from the class finishes the enrolment asked for: no second tap.
    expect(page.locator("#enrol-result")).to_be_visible()


def move_to_today(admin: Person, setup: Setup) -> None:
    """Administrator: reschedule the class to today, so that it can be taught and assessed."""
    admin.go("/admin/classes")
    card = admin.page.locator(f".admin-class[data-class-id='{setup.class_id}']")
    card.get_by_text("改期").first.click()
    form = card.locator(".reschedule-form")
    today = china_today().isoformat()
    form.get_by_label("开课日期").fill(today)
    form.get_by_label("结课日期").fill(today)
    form.get_by_role("button", name="改期").click()
    expect(admin.page.locator("#toast")).to_contain_text("班次已改期")


def assess_and_release(trainer: Person, setup: Setup, name: str) -> None:
    """Trainer: mark `name` present, enter passing scores, release the class's results."""
    trainer.sign_in_staff(setup.trainer)
    mark_present_and_pass(trainer, setup.class_id, name)
    release_results(trainer)


def mark_present_and_pass(staff: Person, class_id: str, name: str) -> None:
    """Class console (signed in): mark `name` present, then save passing scores (75 and 80)."""
    page = staff.page
    staff.go(f"/trainer/classes/{class_id}/attendance")
    page.get_by_label(name).select_option("present")
    page.get_by_role("button", name="保存考勤").click()
    expect(page.locator("#attendance-form .form-message")).to_contain_text("已保存")
    page.get_by_role("link", name="成绩").click()
    page.get_by_label(f"{name} 的理论成绩").fill("75")
    page.get_by_label(f"{name} 的实操成绩").fill("80")
    page.get_by_role("button", name="保存成绩").click()
    expect(page.locator("#scores-form .form-message")).to_contain_text("已保存 1 人")


def release_results(staff: Person) -> None:
    """Scores tab: release the class's results; its one trainee completes."""
    staff.page.get_by_role("button", name="发布成绩").click()
    staff.confirm()
    expect(staff.page.locator("#release-result")).to_contain_text("结业 1 人")


def release_for_approval(
    admin: Person, trainee: Person, trainer: Person, *, staff_admin: Staff, tag: str, name: str,
    work_type: str = "咖啡师",
) -> Setup:
    """A course whose certificates need approval; trainee `name` enrolled on its class, moved to
    today; the trainer marks them present and passed and releases the results."""
    setup = set_up_class(admin, staff_admin, tag, issue_policy="approval", work_type=work_type)
    enrol(trainee, setup, new_phone(), name)
    move_to_today(admin, setup)
    assess_and_release(trainer, setup, name)
    return setup


def awaiting_certificate(trainer: Person, setup: Setup, name: str) -> Locator:
    """Trainer: reload the certificates tab until `name`'s released passing result awaits a
    certificate; return its row."""
    awaiting = trainer.page.locator("#awaiting-results tr", has_text=name)

    def listed() -> bool:
        trainer.go(setup.certificates_tab)
        return visible_within(awaiting)

    poll(listed, what="the released passing result among those awaiting a certificate")
    return awaiting


def trainer_cannot_issue(trainer: Person, awaiting: Locator) -> None:
    """Trainer: no "issue now" is offered (four eyes: the service would refuse it); the row
    says who issues instead."""
    expect(awaiting.locator(".awaits-approver")).to_have_text("等待考评员或管理员审核")
    expect(awaiting.get_by_role("button", name="立即发证")).to_have_count(0)


def _api(page: Page, base: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = page.request.post(base + path, data=body,
                              headers={"Authorization": f"Bearer {token}"})
    assert reply.ok, reply.text()
    answer: dict[str, Any] = reply.json()
    return answer


def api_class(admin_page: Page, platform: Platform, admin: Staff, *, opens_at: datetime | None,
              starts_in_days: int, closes_at: datetime | None = None, capacity: int = 5,
              course_id: str | None = None, venue: str = "市工人文化宫 2 楼") -> tuple[str, str]:
    """Administrator, through the API: a course (unless given) and a class; return (class id,
    course id when given, else the new course's title)."""
    signed = admin_page.request.post(platform.base_url + "/api/v1/auth/token",
                                     data={"phone": admin.phone, "password": admin.password})
    assert signed.ok, signed.text()
    token = signed.json()["access_token"]
    title = course_id or ""
    if course_id is None:
        tag = unique_tag()
        title = f"直播销售 {tag}"
        course_id = _api(admin_page, platform.base_url, token, "/api/v1/courses", {
            "code": f"FLASH-{tag}", "title_zh": title, "title_en": f"Livestream sales {tag}",
            "category": "ecommerce", "level": 4, "required_hours": 8})["id"]
    day = (china_today() + timedelta(days=starts_in_days)).isoformat()
    body: dict[str, Any] = {"course_id": course_id, "capacity": capacity, "starts_on": day,
                            "ends_on": day, "venue": venue}
    if opens_at is not None:
        body["enroll_opens_at"] = opens_at.isoformat()
    if closes_at is not None:
        body["enroll_closes_at"] = closes_at.isoformat()
    made = _api(admin_page, platform.base_url, token, "/api/v1/classes", body)
    return made["id"], title


def course_of(page: Page, platform: Platform, class_id: str) -> str:
    """Return the course id of a class (public API)."""
    reply = page.request.get(f"{platform.base_url}/api/v1/classes/{class_id}")
    assert reply.ok, reply.text()
    course_id: str = reply.json()["course_id"]
    return course_id


def api_patch_class(page: Page, platform: Platform, admin: Staff, class_id: str,
                    body: dict[str, Any]) -> None:
    """Administrator, through the API: change a class."""
    signed = page.request.post(platform.base_url + "/api/v1/auth/token",
                               data={"phone": admin.phone, "password": admin.password})
    assert signed.ok, signed.text()
    reply = page.request.patch(f"{platform.base_url}/api/v1/classes/{class_id}", data=body,
                               headers={"Authorization": f"Bearer {signed.json()['access_token']}"})
    assert reply.ok, reply.text()
