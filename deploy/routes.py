"""The one route table of the public origin: which service owns which path.

Both nginx configurations (local, generated at `make run`, and production, committed in
deploy/nginx/) are rendered from this table by deploy/gateway.py, so they cannot drift.
Everything no route claims is the static web front (web/), except unknown /api/ paths,
which get a problem+json 404 instead of the single-page app's index.html.
"""

from __future__ import annotations

from dataclasses import dataclass

from services import SERVICE_NAMES

WEB = "web"
NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Route:
    """A path (and, unless `exact`, everything below it) served by one service."""

    path: str
    service: str
    exact: bool = False
    upstream_path: str | None = None  # rewrite to this path at the service (operations routes)


def _owned(service: str, *paths: str) -> tuple[Route, ...]:
    return tuple(Route(path, service) for path in paths)


def _operations(service: str) -> tuple[Route, ...]:
    # Health and the API description of each service through the one origin; /metrics stays
    # internal (scraped from the service port).
    return tuple(
        Route(f"/ops/{service}/{name}", service, exact=True, upstream_path=f"/{name}")
        for name in ("healthz", "readyz", "openapi.json")
    )


ROUTES: tuple[Route, ...] = (
    *_owned(
        "enrollment",
        "/api/v1/auth",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/courses",
        "/api/v1/classes",
        "/api/v1/enrollments",
        "/api/v1/imports",
        "/api/v1/admin",
    ),
    *_owned(
        "certification",
        "/api/v1/me/certificates",
        "/api/v1/certificates",
        "/api/v1/verify",
        "/api/v1/status-lists",
        "/api/v1/results",
        "/verify",
        "/credentials",
    ),
    Route("/.well-known/did.json", "certification", exact=True),
    *_owned(
        "notification",
        "/api/v1/me/notifications",
        "/api/v1/me/preferences",
        "/api/v1/notifications",
        "/api/v1/receipts",
        "/dev/inbox",
    ),
    Route("/dev/inbox.json", "notification", exact=True),
    *(route for name in SERVICE_NAMES for route in _operations(name)),
    # Queue depths and outbox backlog of each service, for the admin dashboard (admin token).
    *(Route(f"/api/v1/ops/{name}", name) for name in SERVICE_NAMES),
)

# Paths under this prefix that no route claims are answered 404 problem+json by the gateway.
API_PREFIX = "/api/"


def owner_of(path: str) -> str:
    """Return who answers `path` at the gateway, with nginx's matching rules.

    An exact location wins; otherwise the longest prefix `<route>/` does; otherwise unknown
    /api/ paths are `NOT_FOUND` and everything else is the static `WEB` front.
    """
    path = path.split("?", 1)[0]
    for route in ROUTES:
        if route.path == path:
            return route.service
    prefixes = [r for r in ROUTES if not r.exact and path.startswith(r.path + "/")]
    if prefixes:
        return max(prefixes, key=lambda r: len(r.path)).service
    return NOT_FOUND if path.startswith(API_PREFIX) else WEB


def routes_of(service: str) -> tuple[Route, ...]:
    """Return the routes one service owns."""
    return tuple(route for route in ROUTES if route.service == service)
