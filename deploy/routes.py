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
class RateLimit:
    """An nginx request limit per client address: `rate` a second, `burst` more at once."""

    zone: str
    rate_per_s: int
    burst: int


# Public, unauthenticated paths a script can hammer. Generous enough for carrier-grade NAT
# (many phones behind one address) and for the browser and e2e tests, which all come from
# 127.0.0.1; the services keep their own, finer limits behind these (verification buckets,
# sign-in locks).
VERIFY_LIMIT = RateLimit("verify", rate_per_s=10, burst=50)
AUTH_LIMIT = RateLimit("auth", rate_per_s=5, burst=30)


@dataclass(frozen=True)
class Route:
    """A path (and, unless `exact`, everything below it) served by one service."""

    path: str
    service: str
    exact: bool = False
    upstream_path: str | None = None  # rewrite to this path at the service (operations routes)
    limit: RateLimit | None = None  # limited per client address at the gateway
    dev_only: bool = False  # local runs only: production gateways answer 404 (issue 15)


def _owned(service: str, *paths: str, limit: RateLimit | None = None) -> tuple[Route, ...]:
    return tuple(Route(path, service, limit=limit) for path in paths)


def _operations(service: str) -> tuple[Route, ...]:
    # Health and the API description of each service through the one origin; /metrics stays
    # internal (scraped from the service port).
    return tuple(
        Route(f"/ops/{service}/{name}", service, exact=True, upstream_path=f"/{name}")
        for name in ("healthz", "readyz", "openapi.json")
    )


ROUTES: tuple[Route, ...] = (
    *_owned("enrollment", "/api/v1/auth", limit=AUTH_LIMIT),
    *_owned(
        "enrollment",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/courses",
        "/api/v1/classes",
        "/api/v1/categories",
        "/api/v1/enrollments",
        "/api/v1/applications",
        "/api/v1/surveys",
        "/api/v1/imports",
        "/api/v1/checkins",
        "/api/v1/claim-templates",
        "/api/v1/admin",
    ),
    *_owned(
        "certification",
        "/api/v1/me/certificates",
        "/api/v1/certificates",
        "/api/v1/status-lists",
        "/api/v1/results",
        "/credentials",
    ),
    *_owned("certification", "/api/v1/verify", "/verify", limit=VERIFY_LIMIT),
    Route("/.well-known/did.json", "certification", exact=True),
    *_owned(
        "notification",
        "/api/v1/me/notifications",
        "/api/v1/me/preferences",
        "/api/v1/notifications",
        "/api/v1/receipts",
    ),
    # What the sink captured, sign-in codes included: `make run` only, never production.
    Route("/dev/inbox", "notification", dev_only=True),
    Route("/dev/inbox.json", "notification", exact=True, dev_only=True),
    *(route for name in SERVICE_NAMES for route in _operations(name)),
    # Queue depths and outbox backlog of each service, for the admin dashboard (admin token).
    *(Route(f"/api/v1/ops/{name}", name) for name in SERVICE_NAMES),
)

# Paths under this prefix that no route claims are answered 404 problem+json by the gateway.
API_PREFIX = "/api/"
# Everything under this prefix is a development surface: a production gateway answers 404.
DEV_PREFIX = "/dev/"


def served(*, production: bool, routes: tuple[Route, ...] = ROUTES) -> tuple[Route, ...]:
    """Return the routes a gateway serves: production leaves out the development ones."""
    return tuple(r for r in routes if not (production and r.dev_only))


def owner_of(path: str, *, production: bool = False) -> str:
    """Return who answers `path` at the gateway, with nginx's matching rules.

    An exact location wins; otherwise the longest prefix `<route>/` does; otherwise unknown
    /api/ paths (and, in production, every /dev/ path) are `NOT_FOUND` and everything else is
    the static `WEB` front.
    """
    path = path.split("?", 1)[0]
    if production and path.startswith(DEV_PREFIX):
        return NOT_FOUND
    for route in served(production=production):
        if route.path == path:
            return route.service
    prefixes = [r for r in served(production=production)
                if not r.exact and path.startswith(r.path + "/")]
    if prefixes:
        return max(prefixes, key=lambda r: len(r.path)).service
    return NOT_FOUND if path.startswith(API_PREFIX) else WEB


def rate_limits(routes: tuple[Route, ...] = ROUTES) -> tuple[RateLimit, ...]:
    """Return each distinct limit the routes use, in order of first use."""
    return tuple(dict.fromkeys(r.limit for r in routes if r.limit is not None))


def routes_of(service: str) -> tuple[Route, ...]:
    """Return the routes one service owns."""
    return tuple(route for route in ROUTES if route.service == service)
