"""The baseline of the enrollment benchmark: a bare aiohttp handler doing the enrol transaction.

Usage (started by bench/enrollment_bench.py): python -m bench.enrollment_baseline PORT DSN
(several processes may share PORT: SO_REUSEPORT, as the service's JIANGXIN_HTTP_REUSE_PORT).

POST /enrol {"class_id", "trainee_id"}: the service's own transaction with the least code
around it: the same statements (services/enrollment/repository/enrollments.py: the booking
context read of class, course and trainee, then the seat statement that also writes the
enrolment, its history row and the key's response) and the same outbox row (an envelope built
from that context with the same fields, and its headers), between BEGIN and COMMIT. No auth, no
pydantic, no middleware, no checks beyond "the class and trainee exist".
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

from services.enrollment.repository.enrollments import Audit, book_seat, booking_context
from shared.db import keep_session
from shared.ids import new_id

POOL = web.AppKey("pool", asyncpg.Pool)
TZ = "Asia/Shanghai"
_ZONE = ZoneInfo(TZ)
_OUTBOX = """
INSERT INTO outbox (message_id, aggregate_id, routing_key, body, headers)
VALUES ($1, $2, $3, $4, $5::jsonb)
"""


def baseline_app(dsn: str) -> web.Application:
    """Return the bare app: POST /enrol, one asyncpg transaction per request."""

    async def enrol(request: web.Request) -> web.Response:
        body = await request.json()
        class_id, trainee_id = UUID(body["class_id"]), UUID(body["trainee_id"])
        enrollment_id, now = new_id(), datetime.now(UTC)
        async with request.app[POOL].acquire() as conn, conn.transaction():
            ctx = await booking_context(conn, class_id, trainee_id)
            if ctx is None:
                return web.json_response({"error": "no such class or trainee"}, status=404)
            seat = await book_seat(conn, enrollment_id=enrollment_id, class_id=class_id,
                                   trainee_id=trainee_id, via="self", now=now,
                                   audit=Audit(trainee_id, "trainee"), idempotency=None)
            assert seat is not None
            status = "confirmed" if seat.confirmed else "waitlisted"
            position = None if seat.confirmed else seat.waitlist_length
            message_id, correlation_id = new_id(), str(new_id())
            traceparent = f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"
            envelope = _envelope(ctx, message_id, enrollment_id, status, position,
                                 correlation_id=correlation_id, traceparent=traceparent, now=now)
            headers = {"x-correlation-id": correlation_id, "x-producer": "enrollment",
                       "x-aggregate-id": str(enrollment_id), "traceparent": traceparent}
            await conn.execute(_OUTBOX, message_id, str(enrollment_id),
                               f"enrollment.{status}.v1", _json(envelope), _json(headers))
        return web.json_response({"id": str(enrollment_id), "class_id": str(class_id),
                                  "status": status, "waitlist_position": position}, status=201)

    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        # As the service's pool: no reset round trip when a connection goes back.
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=10, reset=keep_session)
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


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _envelope(ctx: asyncpg.Record, message_id: UUID, enrollment_id: UUID, status: str,
              position: int | None, *, correlation_id: str, traceparent: str,
              now: datetime) -> dict[str, Any]:
    """The envelope the service writes for this booking, with the same fields and values."""
    session = ctx["session_start"]
    first = (datetime.combine(ctx["starts_on"], session, tzinfo=_ZONE).isoformat()
             if session is not None else None)
    data: dict[str, Any] = {
        "enrollment_id": str(enrollment_id), "seq": 1, "actor": "trainee",
        "trainee": {"user_id": str(ctx["trainee_id"]), "name": ctx["trainee_name"],
                    "phone": ctx["trainee_phone"], "email": ctx["trainee_email"],
                    "locale": ctx["trainee_locale"], "timezone": TZ},
        "class_info": {"class_id": str(ctx["class_id"]), "course_id": str(ctx["course_id"]),
                       "course_code": ctx["course_code"],
                       "course_title_zh": ctx["course_title_zh"],
                       "course_title_en": ctx["course_title_en"],
                       "starts_on": ctx["starts_on"].isoformat(),
                       "ends_on": ctx["ends_on"].isoformat(), "first_session_at": first,
                       "venue": ctx["venue"], "online": ctx["online"]},
    }
    if position is None:
        data["via"] = "self"
    else:
        data["waitlist_position"] = position
    return {"message_id": str(message_id), "type": f"enrollment.{status}", "version": 1,
            "occurred_at": now.isoformat(), "producer": "enrollment",
            "correlation_id": correlation_id, "causation_id": None, "traceparent": traceparent,
            "aggregate_id": str(enrollment_id), "data": data}


if __name__ == "__main__":
    serve_baseline(baseline_app(sys.argv[2]), int(sys.argv[1]))
