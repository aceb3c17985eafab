"""Sessions with times: defaults, changes per class and per day, and the migration."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

from services.enrollment.app import MIGRATIONS
from shared.ids import new_id
from shared.migrations import MESSAGING_MIGRATIONS, migrate
from tests.enrollment.support import Service


async def test_a_new_class_has_two_default_sessions_each_day(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    reply = await svc.call("GET", f"/api/v1/classes/{cls['id']}/sessions")
    assert reply.status == 200
    items = reply.body["items"]
    assert len(items) == 2 * len(cls["schedule_days"])
    assert [(s["no"], s["starts_at"], s["ends_at"], s["minutes"]) for s in items[:2]] == [
        (1, "09:00:00", "12:00:00", 180), (2, "14:00:00", "17:00:00", 180)]
    assert reply.body["planned_minutes"] == 360 * len(cls["schedule_days"])


async def test_staff_change_sessions_for_the_class_or_for_one_day(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    days = cls["schedule_days"]
    url = f"/api/v1/classes/{cls['id']}/sessions"
    whole = await svc.call("PUT", url, token=admin, json_body={"times": [
        {"starts_at": "13:30", "ends_at": "16:30"}, {"starts_at": "08:30", "ends_at": "11:30"}]})
    assert whole.status == 200, whole.body
    assert {(s["starts_at"], s["no"]) for s in whole.body["items"]} == {
        ("08:30:00", 1), ("13:30:00", 2)}
    one = await svc.call("PUT", url, token=admin, json_body={
        "days": [days[1]], "times": [{"starts_at": "19:00", "ends_at": "21:00"}]})
    by_day = {(s["date"], s["no"]): s["starts_at"] for s in one.body["items"]}
    assert by_day[(days[1], 1)] == "19:00:00"
    assert (days[1], 2) not in by_day
    assert by_day[(days[0], 1)] == "08:30:00"


async def test_overlapping_or_foreign_sessions_are_refused(svc: Service) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    url = f"/api/v1/classes/{cls['id']}/sessions"
    overlap = await svc.call("PUT", url, token=admin, json_body={"times": [
        {"starts_at": "09:00", "ends_at": "12:00"}, {"starts_at": "11:00", "ends_at": "13:00"}]})
    assert (overlap.status, overlap.body["code"]) == (422, "invalid_sessions")
    backwards = await svc.call("PUT", url, token=admin, json_body={"times": [
        {"starts_at": "12:00", "ends_at": "09:00"}]})
    assert backwards.body["code"] == "invalid_sessions"
    foreign = await svc.call("PUT", url, token=admin, json_body={
        "days": ["2031-01-01"], "times": [{"starts_at": "09:00", "ends_at": "12:00"}]})
    assert foreign.body["code"] == "not_a_class_day"
    _, stranger = await svc.add_user("trainer", name="别班老师")
    refused = await svc.call("PUT", url, token=stranger, json_body={"times": [
        {"starts_at": "09:00", "ends_at": "12:00"}]})
    assert (refused.status, refused.body["code"]) == (403, "not_class_trainer")


async def test_classes_scheduled_before_sessions_existed_migrate_to_the_default(
    pg_dsn: str, tmp_path: Path,
) -> None:
    earlier = tmp_path / MIGRATIONS.parent.name / "migrations"  # names are <service>/<file>
    earlier.mkdir(parents=True)
    for f in sorted(MIGRATIONS.glob("*.sql")):
        if f.name < "0020":
            (earlier / f.name).symlink_to(f)
    await migrate(pg_dsn, [MESSAGING_MIGRATIONS, earlier])
    conn = await asyncpg.connect(pg_dsn)
    try:
        course_id, class_id, now = new_id(), new_id(), datetime(2025, 6, 1, tzinfo=UTC)
        await conn.execute(
            """INSERT INTO courses (id, code, title_zh, title_en, category, occupation_name,
                                    required_hours, created_at)
               VALUES ($1, 'OLD1', '育婴员', 'Childcare', 'care', '育婴员', 12, $2)""",
            course_id, now)
        await conn.execute(
            """INSERT INTO classes (id, course_id, starts_on, ends_on, class_days, hours_per_day,
                                    venue, capacity, enroll_opens_at, enroll_closes_at,
                                    created_at)
               VALUES ($1, $2, '2025-06-09', '2025-06-10', '{2025-06-09,2025-06-10}', 6,
                       '工人文化宫', 10, $3, $4, $3)""",
            class_id, course_id, now, datetime(2025, 6, 8, tzinfo=UTC))
        await migrate(pg_dsn, [MESSAGING_MIGRATIONS, MIGRATIONS])
        rows = await conn.fetch(
            """SELECT class_day, no, starts_at::text, ends_at::text FROM class_sessions
               WHERE class_id = $1 ORDER BY class_day, no""", class_id)
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [
        (date(2025, 6, 9), 1, "09:00:00", "12:00:00"),
        (date(2025, 6, 9), 2, "14:00:00", "17:00:00"),
        (date(2025, 6, 10), 1, "09:00:00", "12:00:00"),
        (date(2025, 6, 10), 2, "14:00:00", "17:00:00")]
