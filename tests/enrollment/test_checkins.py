"""QR check-in: the trainer's rotating code, every refusal, shared browsers, trainers' records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import zxingcpp
from PIL import Image

from services.enrollment.domain.checkin import CheckinToken, sign_token
from services.enrollment.handlers import jobs
from tests.enrollment.support import Reply, Service

VENUE = {"lat": 31.2304, "lng": 121.4737}  # 上海 人民广场


@dataclass
class Setup:
    """A class with a trainer and one confirmed trainee; the clock on its first day."""

    class_id: str
    days: list[str]
    trainer: str
    trainee: str
    enrollment_id: str
    others: list[tuple[str, Reply]]


def at(day: str, clock: str) -> datetime:
    """Return a local time (Asia/Shanghai) of a day as a UTC instant."""
    local = datetime.fromisoformat(f"{day}T{clock}+08:00")
    return local.astimezone(UTC)


async def set_up(svc: Service, *others: str, capacity: int = 30) -> Setup:
    """Enrol 李学员 and then the others (in order) before the first day begins."""
    admin = await svc.admin_token()
    trainer_id, trainer = await svc.add_user("trainer", name="王老师")
    cls = await svc.create_class(admin, trainer_ids=[str(trainer_id)], capacity=capacity)
    _, trainee = await svc.add_user(name="李学员")
    enrolled = await svc.enrol(trainee, cls["id"])
    assert enrolled.status == 201, enrolled.body
    more = []
    for name in others:
        _, token = await svc.add_user(name=name)
        more.append((token, await svc.enrol(token, cls["id"])))
    svc.clock.set(at(cls["schedule_days"][0], "09:05"))
    return Setup(cls["id"], cls["schedule_days"], trainer, trainee, enrolled.body["id"], more)


def decode_qr(rows: list[str]) -> str:
    """Draw the QR rows (4 px a module, a quiet zone) and read them back with zxing-cpp."""
    scale, border = 4, 4
    size = (len(rows) + 2 * border) * scale
    image = Image.new("L", (size, size), 255)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark == "1":
                x, y = (c + border) * scale, (r + border) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return str(found[0].text)


async def code(svc: Service, s: Setup, kind: str = "in") -> str:
    reply = await svc.call("GET", f"/api/v1/classes/{s.class_id}/checkin-code?kind={kind}",
                           token=s.trainer)
    assert reply.status == 200, reply.body
    return str(reply.body["token"])


async def scan(svc: Service, token: str, text: str, device: str = "device-aaaaaaaaaaaaaaaa",
               **body: Any) -> Reply:
    return await svc.call("POST", "/api/v1/checkins", token=token,
                          json_body={"token": text, **body},
                          headers={"Cookie": f"jx_device={device}"})


async def test_a_trainee_checks_in_and_out_with_the_code_on_the_trainers_screen(
    svc: Service,
) -> None:
    s = await set_up(svc)
    shown = await svc.call("GET", f"/api/v1/classes/{s.class_id}/checkin-code", token=s.trainer)
    assert shown.body["path"] == f"/checkin/{shown.body['token']}"
    assert shown.body["url"] == f"{svc.url}{shown.body['path']}"
    assert "." not in shown.body["token"]  # the gateway serves paths ending .<x> as files
    assert decode_qr(shown.body["qr"]) == shown.body["url"]
    assert (shown.body["session"]["no"], shown.body["kind"]) == (1, "in")
    issued = datetime.fromisoformat(shown.body["issued_at"])
    assert datetime.fromisoformat(shown.body["refresh_at"]) - issued == timedelta(seconds=20)
    assert datetime.fromisoformat(shown.body["expires_at"]) - issued == timedelta(seconds=30)
    came = await scan(svc, s.trainee, shown.body["token"])
    assert came.status == 201, came.body
    assert datetime.fromisoformat(came.body["checked_in_at"]) == svc.clock.now()
    assert (came.body["kind"], came.body["flags"]) == ("in", [])
    svc.clock.set(at(s.days[0], "12:03"))
    left = await scan(svc, s.trainee, await code(svc, s, "out"))
    assert left.status == 201
    assert datetime.fromisoformat(left.body["checked_out_at"]) == svc.clock.now()
    listed = await svc.call("GET", f"/api/v1/classes/{s.class_id}/checkins", token=s.trainer)
    assert [(c["name"], c["no"], c["in_source"], c["out_source"]) for c in listed.body["items"]
            ] == [("李学员", 1, "self", "self")]


async def test_the_code_changes_every_20_seconds(svc: Service) -> None:
    s = await set_up(svc)
    first = await code(svc, s)
    svc.clock.advance(timedelta(seconds=20))
    assert await code(svc, s) != first


async def test_a_first_scan_sets_a_browser_cookie_and_a_second_check_in_changes_nothing(
    svc: Service,
) -> None:
    s = await set_up(svc)
    reply = await svc.call("POST", "/api/v1/checkins", token=s.trainee,
                           json_body={"token": await code(svc, s)})
    assert reply.status == 201
    assert "jx_device=" in reply.headers["Set-Cookie"]
    assert "HttpOnly" in reply.headers["Set-Cookie"]
    svc.clock.advance(timedelta(seconds=25))
    again = await scan(svc, s.trainee, await code(svc, s))
    assert (again.status, again.body["already_recorded"]) == (200, True)
    assert again.body["checked_in_at"] == reply.body["checked_in_at"]


async def test_an_expired_or_replayed_code_is_refused(svc: Service) -> None:
    s = await set_up(svc)
    text = await code(svc, s)
    svc.clock.advance(timedelta(seconds=31))
    late = await scan(svc, s.trainee, text)
    assert (late.status, late.body["code"]) == (409, "checkin_token_expired")
    fresh = await code(svc, s)
    assert (await scan(svc, s.trainee, fresh)).status == 201
    replay = await scan(svc, s.trainee, fresh, kind="out")
    assert (replay.status, replay.body["code"]) == (409, "checkin_token_expired")


async def test_a_forged_code_is_refused(svc: Service) -> None:
    s = await set_up(svc)
    text = await code(svc, s)
    forged = text.replace("~in~", "~out~")
    reply = await scan(svc, s.trainee, forged)
    assert (reply.status, reply.body["code"]) == (422, "checkin_token_invalid")
    own_key = sign_token(CheckinToken(*_fields(text)), b"not our key")
    assert (await scan(svc, s.trainee, own_key)).body["code"] == "checkin_token_invalid"


def _fields(text: str) -> tuple[Any, ...]:
    class_hex, day, no, kind, issued, _ = text.split("~")
    return (UUID(hex=class_hex), datetime.strptime(day, "%Y%m%d").date(), int(no), kind,
            int(issued))


async def test_someone_without_a_confirmed_place_is_refused(svc: Service) -> None:
    s = await set_up(svc, "候补", capacity=1)
    _, stranger = await svc.add_user(name="路人")
    reply = await scan(svc, stranger, await code(svc, s))
    assert (reply.status, reply.body["code"]) == (403, "not_enrolled")
    waiting, enrolled = s.others[0]
    assert enrolled.body["status"] == "waitlisted"
    queued = await scan(svc, waiting, await code(svc, s))
    assert (queued.status, queued.body["code"]) == (403, "not_enrolled")


async def test_a_code_is_refused_once_its_sessions_window_has_closed(svc: Service) -> None:
    s = await set_up(svc)
    svc.clock.set(at(s.days[0], "17:29:55"))  # the afternoon session's window closes at 17:30
    text = await code(svc, s, "out")
    svc.clock.advance(timedelta(seconds=15))
    reply = await scan(svc, s.trainee, text)
    assert (reply.status, reply.body["code"]) == (409, "outside_session")
    svc.clock.set(at(s.days[0], "13:00"))  # between the morning and afternoon windows
    closed = await svc.call("GET", f"/api/v1/classes/{s.class_id}/checkin-code",
                            token=s.trainer)
    assert (closed.status, closed.body["code"]) == (409, "no_session_open")
    svc.clock.set(at(s.days[0], "13:30"))
    assert (await code(svc, s)).split("~")[2] == "2"


async def test_a_scan_outside_the_venues_geofence_is_refused(svc: Service) -> None:
    s = await set_up(svc)
    fence = await svc.call("PUT", f"/api/v1/classes/{s.class_id}/geofence", token=s.trainer,
                           json_body={**VENUE, "radius_m": 200})
    assert fence.status == 200, fence.body
    shown = await svc.call("GET", f"/api/v1/classes/{s.class_id}/geofence", token=s.trainer)
    assert (shown.body["lat"], shown.body["radius_m"]) == (VENUE["lat"], 200)
    far = await scan(svc, s.trainee, await code(svc, s),
                     location={"lat": 31.2504, "lng": 121.4737, "accuracy_m": 30})  # 2.2 km
    assert (far.status, far.body["code"]) == (422, "outside_venue")
    assert far.body["distance_m"] > 2000
    svc.clock.advance(timedelta(seconds=20))
    blind = await scan(svc, s.trainee, await code(svc, s))
    assert blind.body["code"] == "outside_venue"
    svc.clock.advance(timedelta(seconds=20))
    near = await scan(svc, s.trainee, await code(svc, s),
                      location={"lat": 31.2319, "lng": 121.4737, "accuracy_m": 25})  # 170 m
    assert near.status == 201, near.body


async def test_a_second_trainee_from_the_same_browser_is_recorded_and_flagged(
    svc: Service,
) -> None:
    s = await set_up(svc, "代签人")
    friend = s.others[0][0]
    text = await code(svc, s)
    assert (await scan(svc, s.trainee, text, device="shared-phone-000000")).body["flags"] == []
    second = await scan(svc, friend, text, device="shared-phone-000000")
    assert (second.status, second.body["flags"]) == (201, ["shared_device"])
    other = await scan(svc, friend, await _next_code(svc, s), device="own-phone-1111111111")
    assert other.status == 200  # already checked in; still flagged
    listed = await svc.call("GET", f"/api/v1/classes/{s.class_id}/checkins", token=s.trainer)
    assert {c["name"]: c["flags"] for c in listed.body["items"]} == {
        "李学员": ["shared_device"], "代签人": ["shared_device"]}


async def _next_code(svc: Service, s: Setup) -> str:
    svc.clock.advance(timedelta(seconds=20))
    return await code(svc, s)


async def test_a_trainer_records_and_corrects_a_check_in_with_a_reason_audited(
    svc: Service,
) -> None:
    s = await set_up(svc)
    url = (f"/api/v1/classes/{s.class_id}/sessions/{s.days[0]}/1/checkins/"
           f"{s.enrollment_id}")
    no_reason = await svc.call("PUT", url, token=s.trainer, json_body={
        "checked_in_at": at(s.days[0], "09:00").isoformat()})
    assert no_reason.status == 422
    recorded = await svc.call("PUT", url, token=s.trainer, json_body={
        "checked_in_at": at(s.days[0], "09:02").isoformat(), "reason": "手机没电，现场核验身份证"})
    assert recorded.status == 200, recorded.body
    assert (recorded.body["in_source"], recorded.body["corrections"]) == ("trainer", 1)
    svc.clock.set(at(s.days[0], "12:10"))
    corrected = await svc.call("PUT", url, token=s.trainer, json_body={
        "confirm_to_end": True, "reason": "忘记签退，本人在场至结束"})
    assert corrected.body["confirmed_to_end"] is True
    future = await svc.call("PUT", url, token=s.trainer, json_body={
        "checked_out_at": at(s.days[0], "16:00").isoformat(), "reason": "预先登记"})
    assert future.body["code"] == "invalid_checkin_times"
    _, stranger = await svc.add_user("trainer", name="别班老师")
    refused = await svc.call("PUT", url, token=stranger, json_body={"reason": "试试"})
    assert refused.body["code"] == "not_class_trainer"
    audit = await svc.pool.fetch(
        "SELECT reason, before, after FROM checkin_audit WHERE enrollment_id = $1 ORDER BY id",
        _uuid(s.enrollment_id))
    assert [r["reason"] for r in audit] == ["手机没电，现场核验身份证", "忘记签退，本人在场至结束"]
    before, after = (json.loads(audit[1][k]) for k in ("before", "after"))  # the test pool
    assert (before["confirmed_to_end"], after["confirmed_to_end"]) == (False, True)  # reads text
    assert json.loads(audit[0]["after"])["checked_in_at"] == at(s.days[0], "09:02").isoformat()


async def test_a_record_without_any_check_in_time_is_refused_and_changes_nothing(
    svc: Service,
) -> None:
    s = await set_up(svc)
    url = (f"/api/v1/classes/{s.class_id}/sessions/{s.days[0]}/1/checkins/"
           f"{s.enrollment_id}")
    for body in ({"confirm_to_end": True, "reason": "在场至结束"}, {"reason": "补录"}):
        refused = await svc.call("PUT", url, token=s.trainer, json_body=body)
        assert (refused.status, refused.body["code"]) == (422, "checkin_time_required")
    assert await svc.pool.fetchval(
        "SELECT count(*) FROM checkin_audit WHERE enrollment_id = $1", _uuid(s.enrollment_id)) == 0
    listed = await svc.call("GET", f"/api/v1/classes/{s.class_id}/checkins", token=s.trainer)
    assert listed.body["items"] == []


def _uuid(text: str) -> UUID:
    return UUID(text)


async def test_a_browser_without_cookies_is_recognised_by_the_id_it_keeps(svc: Service) -> None:
    s = await set_up(svc, "同桌")
    text = await code(svc, s)
    body = {"token": text, "device": "browser-id-0123456789"}
    first = await svc.call("POST", "/api/v1/checkins", token=s.trainee, json_body=body)
    assert (first.status, first.body["flags"]) == (201, [])
    assert "Set-Cookie" not in first.headers  # the page keeps its own id
    second = await svc.call("POST", "/api/v1/checkins", token=s.others[0][0], json_body=body)
    assert (second.status, second.body["flags"]) == (201, ["shared_device"])


async def test_housekeeping_forgets_check_in_codes_used_a_day_ago(svc: Service) -> None:
    s = await set_up(svc)
    assert (await scan(svc, s.trainee, await code(svc, s))).status == 201
    used = "SELECT count(*) FROM checkin_tokens_used WHERE enrollment_id = $1"
    assert await svc.pool.fetchval(used, UUID(s.enrollment_id)) == 1
    await jobs.housekeeping(deps=svc.deps)
    assert await svc.pool.fetchval(used, UUID(s.enrollment_id)) == 1  # still recent
    svc.clock.advance(timedelta(days=1, seconds=1))
    await jobs.housekeeping(deps=svc.deps)
    assert await svc.pool.fetchval(used, UUID(s.enrollment_id)) == 0
