"""Rosters, attendance, results, roster import/export and the dashboard."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import BodyPartReader, web

from services.enrollment.api.base import ADMIN, STAFF, deps, path_date, routes
from services.enrollment.commands import EnterResult, MarkAttendance
from services.enrollment.domain.enrollment import Actor
from services.enrollment.domain.roster_import import parse_roster
from services.enrollment.domain.schedule import local_today, start_of_day
from services.enrollment.handlers import bulk, results
from services.enrollment.handlers import enrollments as enrollment_handlers
from services.enrollment.views import roster as views
from services.enrollment.views.models import (
    AttendanceOut,
    EnrolmentDetail,
    ExportQuery,
    ImportOut,
    ReleaseOut,
    RosterOut,
    StatsOut,
)
from shared.errors import ValidationFailed
from shared.web.api import ApiRequest

TAGS = ("classroom",)
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"})


@routes.get("/api/v1/classes/{class_id}/roster", response=RosterOut, roles=STAFF, tags=TAGS)
async def get_roster(req: ApiRequest[None, None]) -> RosterOut:
    """Return the roster: masked phones, status, attendance, scores, certificate, reachability."""
    return await bulk.get_roster(req.path_uuid("class_id"), deps=deps(req), actor=req.user)


@routes.get("/api/v1/classes/{class_id}/roster.csv", query=ExportQuery, roles=STAFF, tags=TAGS,
            content_types=("text/csv",))
async def export_roster(req: ApiRequest[None, ExportQuery]) -> web.Response:
    """Export roster, attendance per day, scores and certificate numbers as CSV (UTF-8 BOM).

    Chinese headers and values by default, English with `lang=en`; numbers stay numbers and
    dates ISO. `unmasked=true` (administrators only) writes full phone and ID numbers for the
    authorities."""
    class_id = req.path_uuid("class_id")
    data = await bulk.export_roster(class_id, deps=deps(req), actor=req.user,
                                    unmasked=req.query.unmasked, lang=req.query.lang)
    return web.Response(body=data, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="roster-{class_id}.csv"'})


@routes.post("/api/v1/classes/{class_id}/roster/import", response=ImportOut, roles=STAFF,
             tags=TAGS, extra_statuses=(403, 404, 415, 422))
async def import_roster(req: ApiRequest[None, None]) -> ImportOut:
    """Import trainees from a CSV roster into a class (its trainers or admins); per-row results.

    text/csv body, or multipart field `file`: header with phone and name (optional email,
    union_member, employer, id_type, id_number). union_member is recorded only from an
    administrator's import."""
    class_id = req.path_uuid("class_id")
    actor = Actor(req.user.user_id, req.user.role)
    await bulk.require_importer(class_id, deps=deps(req), actor=actor)  # before the upload
    rows = parse_roster(await _upload(req.request))
    return await bulk.import_roster(class_id, rows, deps=deps(req), actor=actor)


async def _upload(request: web.Request) -> bytes:
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "file":
                return bytes(await part.read(decode=True))
        raise ValidationFailed("Send the CSV in a form field named 'file'.", code="file_required")
    if request.content_type not in _CSV_TYPES:
        raise web.HTTPUnsupportedMediaType(text="Send text/csv or multipart/form-data.")
    return await request.read()


@routes.put("/api/v1/classes/{class_id}/attendance/{date}", body=MarkAttendance,
            response=AttendanceOut, roles=STAFF, tags=TAGS)
async def mark_attendance(req: ApiRequest[MarkAttendance, None]) -> AttendanceOut:
    """Mark one class day: present, late, excused or absent per enrolment."""
    return await results.mark_attendance(req.path_uuid("class_id"), path_date(req, "date"),
                                         req.body, deps=deps(req), actor=req.user)


@routes.put("/api/v1/enrollments/{enrollment_id}/result", body=EnterResult,
            response=EnrolmentDetail, roles=STAFF, tags=TAGS)
async def enter_result(req: ApiRequest[EnterResult, None]) -> EnrolmentDetail:
    """Enter or correct theory and practical scores (0-100)."""
    enrollment_id = req.path_uuid("enrollment_id")
    await results.enter_result(enrollment_id, req.body, deps=deps(req), actor=req.user)
    return await enrollment_handlers.get_enrollment(enrollment_id, deps=deps(req), actor=req.user)


@routes.post("/api/v1/classes/{class_id}/release-results", response=ReleaseOut, roles=STAFF,
             tags=TAGS, extra_statuses=(409,))
async def release_results(req: ApiRequest[None, None]) -> ReleaseOut:
    """Release results: one completion event per enrolment; corrections get result_version+1.

    409 `class_not_finished` before the last class day (local date), `attendance_incomplete`
    while a class day has no attendance taken, `results_incomplete` while scores are missing."""
    return await results.release_results(req.path_uuid("class_id"), deps=deps(req),
                                         actor=req.user)


@routes.get("/api/v1/admin/stats", response=StatsOut, roles=ADMIN, tags=TAGS)
async def stats(req: ApiRequest[None, None]) -> StatsOut:
    """Return dashboard figures: enrolments today, seats filled, open classes."""
    d = deps(req)
    now = d.clock.now()
    today = local_today(now, d.tz)
    start = start_of_day(today, d.tz)
    return await views.dashboard(d.pool, today=today, day_start=start,
                                 day_end=start + timedelta(days=1), now=now)
