"""Run the background jobs of one instance: offer expiry, lottery draws, reminders, surveys,
housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

from aiohttp import web

from services.enrollment.handlers import draws, enrollments, jobs, surveys, warnings
from services.enrollment.keys import DEPS, SETTINGS
from shared.logging import get_logger

log = get_logger(__name__)


async def every(interval_s: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
    """Run `job` now and then every `interval_s` (with jitter); log failures and go on."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job_failed", job=name)
        await asyncio.sleep(interval_s * random.uniform(0.9, 1.1))


async def jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the jobs after the database is ready; cancel them at shutdown."""
    deps, s = app[DEPS], app[SETTINGS]
    schedule: list[tuple[float, str, str, Callable[..., Awaitable[object]]]] = [
        # (interval, the job's name in the log, the task's name, the use case it runs)
        (s.offer_check_interval_s, "expire_offers", "offer-expiry", enrollments.expire_offers),
        (s.draw_check_interval_s, "draw_due", "lottery-draws", draws.draw_due),
        (s.survey_check_interval_s, "surveys", "surveys", surveys.jobs),
        (s.reminder_check_interval_s, "send_reminders", "reminders", jobs.send_reminders),
        (s.reminder_check_interval_s, "warn_hours_at_risk", "hours-warnings",
         warnings.warn_hours_at_risk),
        (s.housekeeping_interval_s, "housekeeping", "housekeeping", jobs.housekeeping),
    ]
    tasks = [asyncio.create_task(every(interval_s, name, partial(job, deps=deps)), name=task)
             for interval_s, name, task, job in schedule]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
