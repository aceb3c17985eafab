"""`/healthz`, `/readyz`, `/metrics` and `/openapi.json`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[bool]]
READINESS = web.AppKey("readiness_checks", dict[str, ReadinessCheck])
OPENAPI = web.AppKey("openapi_document", dict[str, Any])


async def healthz(_request: web.Request) -> web.Response:
    """Answer while the process is up."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Answer 200 only when every dependency (database, broker) is reachable."""
    checks = {name: await check() for name, check in request.app[READINESS].items()}
    ready = all(checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status=200 if ready else 503,
    )


async def metrics(_request: web.Request) -> web.Response:
    """Expose Prometheus metrics in the text format."""
    response = web.Response(body=generate_latest())
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


async def openapi(request: web.Request) -> web.Response:
    """Serve the OpenAPI document of this service."""
    return web.json_response(request.app[OPENAPI])


def add_health_routes(app: web.Application) -> None:
    """Register the operational endpoints."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi)
