"""Run the background jobs of one instance: offer expiry, lottery draws, reminders, surveys,
housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable

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
    tasks = [
        asyncio.create_task(every(s.offer_check_interval_s, "expire_offers",
                                  lambda: enrollments.expire_offers(deps=deps)),
                            name="offer-expiry"),
        asyncio.create_task(every(s.draw_check_interval_s, "draw_due",
                                  lambda: draws.draw_due(deps=deps)),
                            name="lottery-draws"),
        asyncio.create_task(every(s.survey_check_interval_s, "surveys",
                                  lambda: surveys.jobs(deps=deps)),
                            name="surveys"),
        asyncio.create_task(every(s.reminder_check_interval_s, "send_reminders",
                                  lambda: jobs.send_reminders(deps=deps)),
                            name="reminders"),
        asyncio.create_task(every(s.reminder_check_interval_s, "warn_hours_at_risk",
                                  lambda: warnings.warn_hours_at_risk(deps=deps)),
                            name="hours-warnings"),
        asyncio.create_task(every(s.housekeeping_interval_s, "housekeeping",
                                  lambda: jobs.housekeeping(deps=deps)),
                            name="housekeeping"),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
