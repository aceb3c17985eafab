"""One reminder per enrolment the day before the class starts, whatever runs the job."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from services.enrollment.handlers.jobs import send_reminders
from tests.enrollment.conftest import StartService
from tests.enrollment.support import START, Service
from tests.support.clock import FakeClock
from tests.support.infra import eventually


def shanghai(day: date, hour: int) -> datetime:
    """Return `hour` o'clock of a day in Shanghai (UTC+8) as a UTC instant."""
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour - 8)


async def reminders_of(svc: Service, class_id: str) -> list[str]:
    rows = await svc.pool.fetch(
        """SELECT o.aggregate_id FROM outbox o JOIN enrollments e ON e.id::text = o.aggregate_id
           WHERE o.routing_key = 'enrollment.reminder_due.v1' AND e.class_id = $1::uuid""",
        class_id)
    return sorted(r["aggregate_id"] for r in rows)


async def test_confirmed_trainees_get_one_reminder_the_day_before_in_shanghai_time(
    svc: Service,
) -> None:
    admin = await svc.admin_token()
    cls = await svc.create_class(admin, capacity=2)
    ids = [(await svc.enrol(t, cls["id"])).body["id"] for _, t in await svc.add_trainees(3)]
    start = date.fromisoformat(cls["starts_on"])
    svc.clock.set(shanghai(start - timedelta(days=2), 23))
    assert await send_reminders(deps=svc.deps) == 0
    svc.clock.set(shanghai(start - timedelta(days=1), 0) + timedelta(minutes=1))
    assert await send_reminders(deps=svc.deps) == 2
    assert await send_reminders(deps=svc.deps) == 0
    assert await reminders_of(svc, cls["id"]) == sorted(ids[:2])  # not the waitlisted one
    event = (await svc.events(ids[0]))[-1]
    assert event["type"] == "enrollment.reminder_due"
    assert event["data"]["class_info"]["starts_on"] == cls["starts_on"]


async def test_two_instances_running_the_job_together_send_each_reminder_once(
    start_service: StartService,
) -> None:
    clock = FakeClock(START)
    one = await start_service(clock)
    two = await start_service(clock)
    admin = await one.admin_token()
    classes = [await one.create_class(admin, capacity=50) for _ in range(3)]
    for cls in classes:
        for _, token in await one.add_trainees(40):
            assert (await one.enrol(token, cls["id"])).status == 201
    clock.set(shanghai(date.fromisoformat(classes[0]["starts_on"]) - timedelta(days=1), 9))
    sent = await asyncio.gather(*(send_reminders(deps=s.deps) for s in (one, two, one, two)))
    assert sum(sent) == 120
    for cls in classes:
        reminded = await reminders_of(one, cls["id"])
        assert len(reminded) == len(set(reminded)) == 40


async def test_the_reminder_job_runs_in_the_background(start_service: StartService) -> None:
    clock = FakeClock(START)
    svc = await start_service(clock, run_jobs=True, reminder_check_interval_s=0.05)
    admin = await svc.admin_token()
    cls = await svc.create_class(admin)
    _, token = await svc.add_user()
    await svc.enrol(token, cls["id"])
    clock.set(shanghai(date.fromisoformat(cls["starts_on"]) - timedelta(days=1), 12))

    async def reminded() -> bool:
        return len(await reminders_of(svc, cls["id"])) == 1

    await eventually(reminded)
