"""QR check-in: the trainer's code, a trainee's scan, trainers' records and review."""

from __future__ import annotations

import re
import secrets
from typing import Literal

from aiohttp import web
from pydantic import BaseModel

from services.enrollment.api.base import STAFF, deps, path_date, routes
from services.enrollment.commands_evidence import CheckIn, RecordCheckin, SetGeofence
from services.enrollment.handlers import checkins
from services.enrollment.views.models.evidence import (
    CheckinCodeOut,
    CheckinOut,
    ClassCheckin,
    ClassCheckinsOut,
    GeofenceOut,
)
from shared.errors import ValidationFailed
from shared.web.api import ApiRequest, json_response

TAGS = ("evidence",)
DEVICE_COOKIE = "jx_device"
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_YEAR_S = 365 * 24 * 3600


class CodeQuery(BaseModel):
    """Which code the trainer's screen shows."""

    kind: Literal["in", "out"] = "in"


@routes.get("/api/v1/classes/{class_id}/checkin-code", query=CodeQuery,
            response=CheckinCodeOut, roles=STAFF, tags=TAGS, extra_statuses=(409,))
async def checkin_code(req: ApiRequest[None, CodeQuery]) -> CheckinCodeOut:
    """Return the signed code of the session open now; a new one every 20 s, each good 30 s.

    `url` opens the check-in page on this origin; `qr` is its QR code, one string of 0/1 per
    row of modules (dark = 1), for the console to draw.

    409 `no_session_open` outside every session's check-in window."""
    http = req.request
    origin = f"{http.headers.get('X-Forwarded-Proto', http.scheme)}://{http.host}"
    return await checkins.checkin_code(req.path_uuid("class_id"), req.query.kind,
                                       origin=origin, deps=deps(req), actor=req.user)


@routes.post("/api/v1/checkins", body=CheckIn, response=CheckinOut, status=201,
             roles={"trainee"}, tags=TAGS, extra_statuses=(403, 409, 422))
async def check_in(req: ApiRequest[CheckIn, None]) -> web.Response:
    """Check in (or out) with the code of the trainer's screen: 201 with the recorded time.

    200 when it changed nothing (already checked in). Refusals: `checkin_token_expired` (expired
    or already used), `not_enrolled`, `outside_session`, `outside_venue`; a second trainee
    from the same browser in a session is recorded with the flag `shared_device`."""
    known = req.request.cookies.get(DEVICE_COOKIE, "")
    device = known if _DEVICE.match(known) else (req.body.device or secrets.token_urlsafe(18))
    out = await checkins.check_in(req.body, deps=deps(req), actor=req.user, device=device)
    reply = json_response(out, status=200 if out.already_recorded else 201)
    if device != known and req.body.device is None:
        reply.set_cookie(DEVICE_COOKIE, device, max_age=_YEAR_S, httponly=True, samesite="Lax",
                         path="/")
    return reply


@routes.get("/api/v1/classes/{class_id}/checkins", response=ClassCheckinsOut, roles=STAFF,
            tags=TAGS)
async def list_checkins(req: ApiRequest[None, None]) -> ClassCheckinsOut:
    """Return every check-in of the class with its flags and number of corrections."""
    return await checkins.list_checkins(req.path_uuid("class_id"), deps=deps(req),
                                        actor=req.user)


@routes.put("/api/v1/classes/{class_id}/sessions/{date}/{no}/checkins/{enrollment_id}",
            body=RecordCheckin, response=ClassCheckin, roles=STAFF, tags=TAGS)
async def record_checkin(req: ApiRequest[RecordCheckin, None]) -> ClassCheckin:
    """Record or correct a trainee's check-in of a session by hand, with a reason (audited).

    `confirm_to_end`: a missing check-out counts to the end of the session."""
    try:
        no = int(req.path("no"))
    except ValueError:
        raise ValidationFailed("Give the session's number.", code="session_not_found") from None
    return await checkins.record_checkin(
        req.path_uuid("class_id"), path_date(req, "date"), no, req.path_uuid("enrollment_id"),
        req.body, deps=deps(req), actor=req.user)


@routes.get("/api/v1/classes/{class_id}/geofence", response=GeofenceOut, roles=STAFF, tags=TAGS)
async def get_geofence(req: ApiRequest[None, None]) -> GeofenceOut:
    """Return the venue's geofence for check-ins (nulls: none)."""
    return await checkins.get_geofence(req.path_uuid("class_id"), deps=deps(req), actor=req.user)


@routes.put("/api/v1/classes/{class_id}/geofence", body=SetGeofence, response=GeofenceOut,
            roles=STAFF, tags=TAGS)
async def set_geofence(req: ApiRequest[SetGeofence, None]) -> GeofenceOut:
    """Set the venue's position and radius for check-ins (all null: no geofence)."""
    return await checkins.set_geofence(req.path_uuid("class_id"), req.body, deps=deps(req),
                                       actor=req.user)
