"""The route table every API module adds to, and who may call what."""

from __future__ import annotations

from shared.web.api import ApiRoutes

routes = ApiRoutes()
MANAGERS = {"trainer", "admin"}
ANYONE = {"trainee", "trainer", "admin"}
TAGS = ("certificates",)
PUBLIC = ("verification",)
