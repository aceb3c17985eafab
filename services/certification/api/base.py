"""The route table every API module adds to, who may call what, and the public's rate limit."""

from __future__ import annotations

from aiohttp import web

from services.certification.keys import LIMITER, PROXIES
from shared.web.api import ApiRoutes

routes = ApiRoutes()
MANAGERS = {"trainer", "admin"}
STAFF = {"trainer", "examiner", "admin"}  # examiners approve and read what they approve
ANYONE = {"trainee", "trainer", "examiner", "admin"}
TAGS = ("certificates",)
PUBLIC = ("verification",)


def limit_rate(request: web.Request) -> None:
    """Take a token from the caller's bucket (the public endpoints and page)."""
    client = request.app[PROXIES].client_of(request)
    request.app[LIMITER].take(client)
