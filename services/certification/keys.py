"""The certification app's typed keys (the shared ones are in shared/web/keys.py)."""

from __future__ import annotations

import asyncpg
import jinja2
from aiohttp import web

from services.certification.config import Settings
from services.certification.deps import Deps
from services.certification.domain.ratelimit import TokenBuckets
from shared.web.client_ip import TrustedProxies

# The same settings object as shared.web.keys.SETTINGS, typed as this service's Settings.
SETTINGS = web.AppKey("certification_settings", Settings)
DEPS = web.AppKey("certification_deps", Deps)
LIMITER = web.AppKey("verify_limiter", TokenBuckets)
NUMBER_LIMITER = web.AppKey("verify_number_limiter", TokenBuckets)  # number + name lookups
PROXIES = web.AppKey("trusted_proxies", TrustedProxies)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
READ_POOL = web.AppKey("public_read_pool", asyncpg.Pool)
