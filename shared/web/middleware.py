"""Request context (ids bound to logs and outgoing events), metrics and security headers."""

from __future__ import annotations

import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from shared.ids import new_id
from shared.logging import bound_context, get_logger
from shared.messaging.context import MessageContext, child_traceparent, set_context
from shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = get_logger(__name__)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
SERVICE_NAME = web.AppKey("service_name", str)


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind request_id and correlation_id to logs; events written here carry them."""
    # Keep the gateway's request id so nginx and service logs can be joined.
    forwarded = request.headers.get("X-Request-ID", "")
    request_id = forwarded if _SAFE_ID.match(forwarded) else str(new_id())
    incoming = request.headers.get("X-Correlation-ID", "")
    correlation_id = incoming if _SAFE_ID.match(incoming) else request_id
    set_context(
        MessageContext(
            correlation_id=correlation_id,
            traceparent=child_traceparent(request.headers.get("traceparent")),
        )
    )
    with bound_context(request_id=request_id, correlation_id=correlation_id):
        response = await handler(request)
        response.headers["X-Request-ID"] = request_id
        response.headers["X-Correlation-ID"] = correlation_id
        return response


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count requests and time them per route template (not per raw path)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        service = request.app[SERVICE_NAME]
        route = _route_label(request)
        HTTP_REQUESTS.labels(service, request.method, route, str(status)).inc()
        HTTP_LATENCY.labels(service, route).observe(time.perf_counter() - started)
        if status >= 500:
            log.warning("request_served", method=request.method, route=route, status=status)


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add headers that keep browsers from sniffing or framing API responses."""
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
