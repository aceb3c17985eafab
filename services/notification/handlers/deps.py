"""What the use cases need besides the unit of work, built once in create_app."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notification.domain.rules import Limits, QuietHours
from services.notification.providers.base import EmailProvider, SmsProvider
from services.notification.providers.breaker import CircuitBreaker
from services.notification.templates.registry import TemplateRegistry
from shared.clock import Clock


@dataclass(frozen=True)
class Policy:
    """Rules taken from configuration."""

    quiet: QuietHours = field(default_factory=QuietHours)
    limits: Limits = field(default_factory=Limits)
    default_timezone: str = "Asia/Shanghai"
    retry_backoff_s: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    max_send_attempts: int = 5
    public_base_url: str = "http://localhost:8083"
    mail_domain: str = "jiangxin.local"


@dataclass
class Deps:
    """Templates, clock, rules and (for dispatching) the providers with their breakers."""

    registry: TemplateRegistry
    clock: Clock
    policy: Policy
    sms: list[tuple[SmsProvider, CircuitBreaker]] = field(default_factory=list)
    email: EmailProvider | None = None
