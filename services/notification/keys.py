"""The notification service's app keys (the shared ones are in shared/web/keys.py)."""

from __future__ import annotations

from aiohttp import web

from services.notification.config import Settings
from services.notification.deps import Deps
from services.notification.jobs import Dispatcher

# The same settings object as shared.web.keys.SETTINGS, typed as this service's Settings.
SETTINGS = web.AppKey("notification_settings", Settings)
DEPS = web.AppKey("notification_deps", Deps)
DISPATCHER = web.AppKey("notification_dispatcher", Dispatcher)
DEV_INBOX = web.AppKey("notification_dev_inbox", bool)
RECEIPT_TOKEN = web.AppKey("notification_receipt_token", str)
