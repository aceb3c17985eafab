"""The app keys every service's application carries (a service adds its own in its keys.py)."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from shared.config import ServiceSettings
from shared.messaging.consumer import Consumer
from shared.messaging.outbox import OutboxWriter
from shared.messaging.relay import Relay
from shared.messaging.topology import QueueTopology
from shared.messaging.transport import Transport
from shared.messaging.uow import UowFactory

SETTINGS = web.AppKey("settings", ServiceSettings)
POOL = web.AppKey("db_pool", asyncpg.Pool)
TRANSPORT = web.AppKey("transport", Transport)
OUTBOX = web.AppKey("outbox", OutboxWriter)
UOW: web.AppKey[UowFactory] = web.AppKey("uow_factory")
RELAY = web.AppKey("relay", Relay)
CONSUMER = web.AppKey("consumer", Consumer)
# The service's queues, known to every instance, consuming or not (the ops route reports them).
TOPOLOGY = web.AppKey("topology", QueueTopology)
