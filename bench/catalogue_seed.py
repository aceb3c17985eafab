"""Fill an enrollment database with a catalogue at scale, fast (COPY, no API).

Courses fall into CATEGORIES; the last category holds only the newest courses (the last
twentieth, in creation order), the one a browser that read the first courses never met.
Classes of each course start from a year ago to a year ahead, three days long; enrolment
opens 30 days before the start and closes at it; classes that ended have their results
released, as a trainer does. Used by bench/catalogue_bench.py and the browser tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

import asyncpg

from shared.ids import new_id

# (code, name_zh, name_en): the first five are named by migration 0050, the rest here.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("ecommerce", "电子商务", "E-commerce"),
    ("care", "照护服务", "Care"),
    ("domestic", "家政服务", "Housekeeping"),
    ("catering", "餐饮服务", "Catering"),
    ("hospitality", "礼仪服务", "Hospitality"),
    ("manufacturing", "智能制造", "Smart manufacturing"),
    ("construction", "建筑施工", "Construction"),
    ("logistics", "物流仓储", "Logistics"),
    ("agriculture", "现代农业", "Modern farming"),
    ("beauty", "美容美发", "Beauty and hairdressing"),
    ("it", "信息技术", "Information technology"),
    ("livestream-sales", "直播销售", "Livestream sales"),
)
OPEN_DAYS = 30
CLASS_DAYS = 3


@dataclass(frozen=True)
class Seeded:
    """What was written."""

    courses: int
    classes: int
    enrolments: int
    open_classes: dict[str, int]  # by category code, counted as the seed wrote them


def category_of(index: int, courses: int) -> str:
    """Return the category code of the index-th course of `courses`."""
    if index >= courses - max(1, courses // 20):
        return CATEGORIES[-1][0]
    return CATEGORIES[index % (len(CATEGORIES) - 1)][0]


async def seed_catalogue(
    conn: asyncpg.Connection, *, courses: int, classes_per_course: int,
    enrolments_per_class: int = 0, today: date, tag: str = "S",
) -> Seeded:
    """Write courses, classes (and trainees with enrolments) around `today`; return counts."""
    now = datetime.combine(today, time(12), UTC)
    await conn.executemany(
        "INSERT INTO course_categories (code, name_zh, name_en) VALUES ($1, $2, $3) "
        "ON CONFLICT (code) DO NOTHING", CATEGORIES)
    course_rows = [_course(i, courses, tag, now) for i in range(courses)]
    await conn.copy_records_to_table(
        "courses", records=course_rows,
        columns=["id", "code", "title_zh", "title_en", "category", "occupation_name",
                 "level", "required_hours", "created_at"])
    class_rows, open_classes = _classes(course_rows, classes_per_course, today, now)
    await conn.copy_records_to_table(
        "classes", records=class_rows,
        columns=["id", "course_id", "name", "starts_on", "ends_on", "class_days",
                 "hours_per_day", "venue", "capacity", "seats_taken", "bookings",
                 "enroll_opens_at", "enroll_closes_at", "results_released_at", "created_at"])
    class_ids = [UUID(str(r[0])) for r in class_rows]
    enrolled = await _enrol(conn, class_ids, enrolments_per_class, tag, now)
    await conn.execute("ANALYZE courses; ANALYZE classes; ANALYZE enrollments; ANALYZE users")
    return Seeded(courses=courses, classes=len(class_rows), enrolments=enrolled,
                  open_classes=open_classes)


def _course(i: int, courses: int, tag: str, now: datetime) -> tuple[object, ...]:
    category = category_of(i, courses)
    return (new_id(), f"{tag}-{i:06d}", f"职业技能课程 {tag}{i}", f"Skills course {tag}{i}",
            category, "职业技能", 4, 40, now)


def _classes(
    course_rows: list[tuple[object, ...]], per_course: int, today: date, now: datetime
) -> tuple[list[tuple[object, ...]], dict[str, int]]:
    rows: list[tuple[object, ...]] = []
    open_classes: dict[str, int] = {}
    span = 730 // max(1, per_course)
    for n, course in enumerate(course_rows):
        for k in range(per_course):
            starts = today - timedelta(days=365 - k * span - n % span)
            ends = starts + timedelta(days=CLASS_DAYS - 1)
            opens = datetime.combine(starts - timedelta(days=OPEN_DAYS), time(0), UTC)
            closes = datetime.combine(starts, time(0), UTC)
            released = datetime.combine(ends + timedelta(days=3), time(9), UTC)
            if opens <= now < closes:
                open_classes[str(course[4])] = open_classes.get(str(course[4]), 0) + 1
            rows.append((new_id(), course[0], "", starts, ends,
                         [starts + timedelta(days=d) for d in range(CLASS_DAYS)], 6, "培训中心",
                         60, 0, 0, opens, closes, released if released <= now else None, now))
    return rows, open_classes


async def _enrol(
    conn: asyncpg.Connection, class_ids: list[UUID], per_class: int, tag: str, now: datetime
) -> int:
    if per_class == 0:
        return 0
    trainees = [new_id() for _ in range(max(per_class * 10, len(class_ids) // 10))]
    await conn.copy_records_to_table(
        "users", records=[(t, "trainee", f"+8617{tag[:1].encode().hex()[-1]}{i:08d}", "学员",
                           now, now, now) for i, t in enumerate(trainees)],
        columns=["id", "role", "phone", "name", "claimed_at", "created_at", "updated_at"])
    records = (
        (new_id(), cls, trainees[(c * per_class + b) % len(trainees)], "confirmed", "self",
         b + 1, now, now)
        for c, cls in enumerate(class_ids) for b in range(per_class)
    )
    await conn.copy_records_to_table(
        "enrollments", records=records,
        columns=["id", "class_id", "trainee_id", "status", "via", "booking_no", "created_at",
                 "updated_at"])
    await conn.execute("UPDATE classes SET seats_taken = $1, bookings = $1", per_class)
    return len(class_ids) * per_class
