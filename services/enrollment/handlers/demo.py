"""Seed the demo: the seven courses of domain.md with upcoming classes, an admin, a trainer,
and one class running from today with a few trainees, so attendance and check-in can be tried."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from services.enrollment.commands import CreateClass, CreateCourse
from services.enrollment.deps import Deps
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.roster_import import RosterRow
from services.enrollment.domain.schedule import local_today
from services.enrollment.handlers import bulk, catalogue, identity
from services.enrollment.repository import catalogue as repo
from services.enrollment.repository import demo as demo_repo
from services.enrollment.repository.demo import OtherData
from shared.errors import Conflict

ADMIN = ("+8613800138001", "演示管理员", "jiangxin-admin-demo")
TRAINER = ("+8613800138002", "演示培训师", "jiangxin-trainer-demo")

COURSES: list[dict[str, Any]] = [
    {"code": "LIVE-SALES", "title_zh": "互联网营销师（直播销售员）",
     "title_en": "Internet marketing: livestream sales", "category": "ecommerce",
     "occupation_code": "4-01-02-07", "occupation_name": "互联网营销师", "work_type": "直播销售员",
     "level": 4, "required_hours": 80},
    {"code": "CHILDCARE", "title_zh": "育婴员", "title_en": "Childcare (infant care)",
     "category": "care", "occupation_name": "育婴员", "level": 4, "required_hours": 64},
    {"code": "ELDER-CARE", "title_zh": "养老护理员", "title_en": "Elderly care",
     "category": "care", "occupation_name": "养老护理员", "level": 4, "required_hours": 72,
     "certificate_validity_months": 36},
    {"code": "HOUSEKEEPING", "title_zh": "家政服务员", "title_en": "Housekeeping",
     "category": "domestic", "occupation_name": "家政服务员", "level": 5, "required_hours": 40},
    {"code": "CHINESE-COOK", "title_zh": "中式烹调师", "title_en": "Chinese cooking",
     "category": "catering", "occupation_name": "中式烹调师", "level": 4, "required_hours": 90},
    {"code": "BARISTA", "title_zh": "咖啡师", "title_en": "Barista", "category": "catering",
     "occupation_name": "咖啡师", "level": 4, "required_hours": 48},
    {"code": "ETIQUETTE", "title_zh": "礼仪培训", "title_en": "Hospitality etiquette",
     "category": "hospitality", "occupation_name": "礼仪培训", "level": None,
     "required_hours": 16},
]
TODAY_COURSE, TODAY_VENUE = "HOUSEKEEPING", "区职工服务中心 102"
# (course code, days from today, class days, capacity, venue, extras)
CLASSES: list[tuple[str, int, int, int, str, dict[str, Any]]] = [
    ("LIVE-SALES", 7, 10, 30, "市工人文化宫 3楼 直播实训室", {"name": "第1期（免费）"}),
    ("LIVE-SALES", 21, 10, 30, "线上（腾讯会议）", {"name": "线上班", "online": True,
                                                  "waitlist_policy": "offer", "offer_hours": 12}),
    ("CHILDCARE", 10, 8, 40, "市妇女儿童活动中心 201", {}),
    ("ELDER-CARE", 14, 9, 35, "区职工服务中心 养老实训基地", {"union_members_only": True}),
    ("HOUSEKEEPING", 9, 5, 50, "区职工服务中心 101", {}),
    ("CHINESE-COOK", 12, 10, 24, "市烹饪技能实训基地", {}),
    ("BARISTA", 8, 6, 20, "职工创业孵化园 咖啡实训室", {}),
    ("ETIQUETTE", 6, 2, 60, "市工人文化宫 大礼堂", {}),
    # Running from the day of seeding (Beijing time): the trainer can mark attendance and show
    # the check-in code at once. Its trainees are enrolled as by an administrator's import.
    (TODAY_COURSE, 0, 5, 20, TODAY_VENUE, {"name": "今日开课班"}),
]
TRAINEES = [("+8613800138101", "演示学员甲"), ("+8613800138102", "演示学员乙"),
            ("+8613800138103", "演示学员丙")]


@dataclass(frozen=True)
class Seeded:
    """What seeding created (the rest already existed) and the two demo staff accounts."""

    courses: int
    classes: int
    admin: identity.StaffAccount
    trainer: identity.StaffAccount
    other_data: OtherData


def _not_a_demo_database(found: OtherData) -> Conflict:
    return Conflict(
        f"This database already holds data that is not demo data ({found.courses} course(s), "
        f"{found.classes} class(es), {found.staff} staff account(s)). The demo adds courses, "
        "classes and staff accounts whose passwords are published; to load it anyway, run "
        "`jiangxin seed-demo --force`.",
        code="not_a_demo_database", courses=found.courses, classes=found.classes,
        staff=found.staff,
    )


async def _enrol_trainees(class_id: UUID, *, deps: Deps) -> None:
    rows = [RosterRow(line=n, phone=phone, name=name)
            for n, (phone, name) in enumerate(TRAINEES, start=2)]
    await bulk.import_roster(class_id, rows, deps=deps, actor=Actor(None, "admin"))


async def seed_demo(*, deps: Deps, force: bool = False) -> Seeded:
    """Load the demo catalogue and staff accounts; running it again changes nothing new.

    A database holding other courses, classes or staff is refused unless `force`; existing
    accounts are never changed (no password, name or role is reset)."""
    async with deps.pool.acquire() as conn:
        found = await demo_repo.other_data(
            conn, course_codes=[c["code"] for c in COURSES],
            classes=[(code, venue) for code, _, _, _, venue, _ in CLASSES],
            staff_phones=[ADMIN[0], TRAINER[0]])
    if found and not force:
        raise _not_a_demo_database(found)
    admin = await identity.ensure_staff_user("admin", *ADMIN, deps=deps)
    trainer = await identity.ensure_staff_user("trainer", *TRAINER, deps=deps)
    # Someone else's account on the demo trainer's number teaches nothing unless it is staff.
    trainer_ids = [trainer.id] if trainer.role in ("trainer", "admin") else []
    courses = classes = 0
    ids: dict[str, Any] = {}
    for values in COURSES:
        async with deps.pool.acquire() as conn:
            existing = await repo.course_by_code(conn, values["code"])
        if existing is None:
            ids[values["code"]] = (await catalogue.create_course(
                CreateCourse.model_validate(values), deps=deps)).id
            courses += 1
        else:
            ids[values["code"]] = existing["id"]
    today = local_today(deps.clock.now(), deps.tz)
    for code, offset, days, capacity, venue, extra in CLASSES:
        async with deps.pool.acquire() as conn:
            if await repo.class_exists(conn, course_id=ids[code], venue=venue):
                continue
        starts = today + timedelta(days=offset)
        created = await catalogue.create_class(CreateClass.model_validate({
            "course_id": ids[code], "trainer_ids": trainer_ids, "capacity": capacity,
            "starts_on": starts, "ends_on": starts + timedelta(days=days - 1), "venue": venue,
            **extra}), deps=deps)
        classes += 1
        if (code, venue) == (TODAY_COURSE, TODAY_VENUE):
            await _enrol_trainees(created.id, deps=deps)
    return Seeded(courses=courses, classes=classes, admin=admin, trainer=trainer,
                  other_data=found)
