"""The one middleware of every service: journey ids, problem+json, metrics, security headers."""

from __future__ import annotations

import re
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from multidict import istr
from structlog.contextvars import reset_contextvars

from shared.ids import new_id
from shared.logging import bind_context, get_logger
from shared.messaging.context import MessageContext, child_traceparent, set_context
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS, child
from shared.web.problem import problem_for

log = get_logger(__name__)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
SERVICE_NAME = web.AppKey("service_name", str)
# Header names as multidict's case-insensitive keys, made once (a str is converted per lookup).
_CORRELATION_ID = istr("X-Correlation-ID")
_TRACEPARENT = istr("traceparent")


@web.middleware
async def request_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serve a request in its journey; answer errors as problem+json; count, time, harden."""
    started = time.perf_counter()
    request_id, correlation_id = _start_journey(request)
    # The ids are bound to log lines until the response leaves (reset by the tokens of this
    # binding: cheaper than a context manager on every request).
    bound = bind_context(request_id=request_id, correlation_id=correlation_id)
    status = 500
    try:
        try:
            response = await handler(request)
        except Exception as exc:
            problem = problem_for(exc)
            if problem is None:
                raise
            response = problem
        status = response.status
        _add_headers(request, response, request_id, correlation_id)
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        _observe(request, status, time.perf_counter() - started)
        reset_contextvars(**bound)


def _start_journey(request: web.Request) -> tuple[str, str]:
    # Keep the gateway's request id so nginx and service logs can be joined.
    headers = request.headers
    forwarded = headers.get(hdrs.X_REQUEST_ID)
    request_id = forwarded if forwarded and _SAFE_ID.match(forwarded) else str(new_id())
    incoming = headers.get(_CORRELATION_ID)
    correlation_id = incoming if incoming and _SAFE_ID.match(incoming) else request_id
    set_context(
        MessageContext(
            correlation_id=correlation_id,
            traceparent=child_traceparent(headers.get(_TRACEPARENT)),
        )
    )
    return request_id, correlation_id


def _add_headers(
    request: web.Request, response: web.StreamResponse, request_id: str, correlation_id: str
) -> None:
    # Keep browsers from sniffing or framing API responses; give the caller the journey ids.
    headers = response.headers
    headers.setdefault(hdrs.X_CONTENT_TYPE_OPTIONS, "nosniff")
    headers.setdefault(hdrs.REFERRER_POLICY, "same-origin")
    if request.path.startswith("/api/"):
        headers.setdefault(hdrs.CACHE_CONTROL, "no-store")
    headers[hdrs.X_REQUEST_ID] = request_id
    headers[_CORRELATION_ID] = correlation_id


def _observe(request: web.Request, status: int, seconds: float) -> None:
    # Count and time per route template (not per raw path).
    service = request.app[SERVICE_NAME]
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    method = request.method
    child(HTTP_REQUESTS, service, method, route, str(status)).inc()
    child(HTTP_LATENCY, service, route).observe(seconds)
    if status >= 500:
        log.warning("request_served", method=method, route=route, status=status)
