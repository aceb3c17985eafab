"""The baseline of the enrollment benchmark: a bare aiohttp handler doing the seat transaction.

Usage (started by bench/enrollment_bench.py): python -m bench.enrollment_baseline PORT DSN
(several processes may share PORT: SO_REUSEPORT, as the service's JIANGXIN_HTTP_REUSE_PORT).

POST /enrol {"class_id", "trainee_id"}: one asyncpg transaction with the same seat UPDATE as
the service, an enrolment row and an outbox row of the same size; no auth, no checks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from aiohttp import web

from shared.ids import new_id

POOL = web.AppKey("pool", asyncpg.Pool)

_BASE_SEAT = """
UPDATE classes SET bookings = bookings + 1,
    seats_taken = seats_taken
        + CASE WHEN seats_taken < capacity AND waitlist_length = 0 THEN 1 ELSE 0 END,
    waitlist_length = waitlist_length
        + CASE WHEN seats_taken < capacity AND waitlist_length = 0 THEN 0 ELSE 1 END
WHERE id = $1 AND status = 'scheduled' RETURNING bookings, waitlist_length
"""
_BASE_ENROL = """
INSERT INTO enrollments (id, class_id, trainee_id, status, via, booking_no, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'self', $5, now(), now())
"""
_BASE_OUTBOX = """
INSERT INTO outbox (message_id, aggregate_id, routing_key, body) VALUES ($1, $2, $3, $4)
"""


def baseline_app(dsn: str) -> web.Application:
    """Return the bare app: POST /enrol, one asyncpg transaction per request."""

    async def enrol(request: web.Request) -> web.Response:
        body = await request.json()
        class_id, trainee_id = UUID(body["class_id"]), UUID(body["trainee_id"])
        enrollment_id = new_id()
        async with request.app[POOL].acquire() as conn, conn.transaction():
            seat = await conn.fetchrow(_BASE_SEAT, class_id)
            assert seat is not None
            confirmed = seat["waitlist_length"] == 0
            status = "confirmed" if confirmed else "waitlisted"
            await conn.execute(_BASE_ENROL, enrollment_id, class_id, trainee_id, status,
                               seat["bookings"])
            await conn.execute(_BASE_OUTBOX, new_id(), str(enrollment_id),
                               f"enrollment.{status}.v1",
                               _event_body(enrollment_id, status, trainee_id))
        return web.json_response({"id": str(enrollment_id), "status": status,
                                  "waitlist_position": None if confirmed
                                  else seat["waitlist_length"]}, status=201)

    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        app[POOL] = pool
        yield
        await pool.close()

    app = web.Application()
    app.router.add_post("/enrol", enrol)
    app.cleanup_ctx.append(pool_ctx)
    return app


def serve_baseline(app: web.Application, port: int) -> None:
    """Serve the bare app on `port` (shared with other processes) until stopped."""
    web.run_app(app, host="127.0.0.1", port=port, reuse_port=True, print=None,
               access_log=None)


def _event_body(enrollment_id: UUID, status: str, trainee_id: UUID) -> str:
    """An envelope of the size the service writes (about 1 KB)."""
    return json.dumps({
        "message_id": str(new_id()), "type": f"enrollment.{status}", "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(), "producer": "enrollment",
        "correlation_id": str(new_id()), "aggregate_id": str(enrollment_id),
        "data": {"enrollment_id": str(enrollment_id), "seq": 1, "actor": "trainee",
                 "trainee": {"user_id": str(trainee_id), "name": "学员", "phone": "+8613800138000",
                             "email": None, "locale": "zh-CN", "timezone": "Asia/Shanghai"},
                 "class_info": {"class_id": str(new_id()), "course_id": str(new_id()),
                                "course_code": "LIVE-SALES",
                                "course_title_zh": "互联网营销师（直播销售员）",
                                "course_title_en": "Internet marketing: livestream sales",
                                "starts_on": "2025-07-01", "ends_on": "2025-07-05",
                                "first_session_at": None, "venue": "市工人文化宫", "online": False},
                 "via": "self"}}, ensure_ascii=False)


if __name__ == "__main__":
    serve_baseline(baseline_app(sys.argv[2]), int(sys.argv[1]))
