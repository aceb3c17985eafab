"""What every use case of the notification service may depend on, built once in app.py."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from services.notification.domain.rules import Policy
from services.notification.providers.base import EmailProvider, SmsProvider
from services.notification.providers.breaker import CircuitBreaker
from services.notification.templates.registry import TemplateRegistry
from shared.clock import Clock
from shared.messaging.outbox import OutboxWriter
from shared.messaging.uow import UowFactory


@dataclass(frozen=True)
class Deps:
    """Transactions, reads, time, templates, rules and the providers with their breakers."""

    uows: UowFactory
    pool: asyncpg.Pool
    outbox: OutboxWriter  # the dispatcher writes a whole batch's outcome events at once
    clock: Clock
    registry: TemplateRegistry
    policy: Policy
    public_base_url: str  # where an email's unsubscribe link points
    mail_domain: str  # the right-hand side of an email's Message-ID
    sms: tuple[tuple[SmsProvider, CircuitBreaker], ...] = ()  # in failover order
    email: EmailProvider | None = None
