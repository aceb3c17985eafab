"""Training hours of a class, and a course's minimum attendance for a certifiable pass."""

from __future__ import annotations

from services.enrollment.api.base import ADMIN, STAFF, deps, routes
from services.enrollment.commands_evidence import SetMinAttendance
from services.enrollment.handlers import hours
from services.enrollment.views.models.evidence import ClassHoursOut, MinAttendanceOut
from shared.web.api import ApiRequest

TAGS = ("evidence",)


@routes.get("/api/v1/classes/{class_id}/hours", response=ClassHoursOut, roles=STAFF,
            tags=TAGS)
async def class_hours(req: ApiRequest[None, None]) -> ClassHoursOut:
    """Return each trainee's minutes per session and in total against the required hours."""
    return await hours.get_class_hours(req.path_uuid("class_id"), deps=deps(req),
                                       actor=req.user)


@routes.put("/api/v1/courses/{course_id}/min-attendance", body=SetMinAttendance,
            response=MinAttendanceOut, roles=ADMIN, tags=TAGS)
async def set_min_attendance(req: ApiRequest[SetMinAttendance, None]) -> MinAttendanceOut:
    """Set the share of required hours a trainee must attend to certify (default 0.9)."""
    return await hours.set_min_ratio(req.path_uuid("course_id"), req.body, deps=deps(req))
