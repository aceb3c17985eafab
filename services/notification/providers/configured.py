"""The providers as configured: the checks that refuse a bad configuration, and their lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from pydantic import SecretStr

from services.notification.config import Settings
from services.notification.domain.model import Channel
from services.notification.providers.aliyun import AliyunSms
from services.notification.providers.base import EmailProvider, SmsProvider
from services.notification.providers.breaker import CircuitBreaker
from services.notification.providers.sink import SinkEmail, SinkSms, SinkWriter
from services.notification.providers.smtp import SmtpEmail
from services.notification.providers.tencent import TencentSms
from services.notification.templates.registry import LOCALES
from services.notification.templates.variables import SPECS
from shared.clock import Clock
from shared.errors import StartupRefused
from shared.logging import get_logger

log = get_logger(__name__)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class Providers:
    """The SMS providers in failover order, each with its breaker, and the email provider."""

    sms: tuple[tuple[SmsProvider, CircuitBreaker], ...]
    email: EmailProvider


def warn_if_sink_is_public(settings: Settings) -> None:
    """Warn when SMS goes to the sink although the service looks publicly deployed."""
    host = urlsplit(settings.public_base_url).hostname or ""
    if "sink" in settings.sms_providers and host not in _LOCAL_HOSTS:
        log.warning("sms_sink_on_public_url", public_base_url=settings.public_base_url,
                    sms_providers=list(settings.sms_providers),
                    hint="no SMS leaves this service: configure a real provider")


_REAL_SMS = ("aliyun", "tencent")


def check_receipt_token(settings: Settings) -> None:
    """Refuse to start when a real SMS provider's receipts could be posted by anyone."""
    real = [p for p in settings.sms_providers if p in _REAL_SMS]
    if real and not settings.receipt_token.get_secret_value():
        raise StartupRefused(
            f"JIANGXIN_NOTIFICATION_RECEIPT_TOKEN (receipt_token) is empty while SMS goes through "
            f"{', '.join(real)}: anyone could post delivery receipts and mark messages delivered "
            f"or failed. Set it to a long random value and give the provider the callback URL "
            f"with ?token=<that value>."
        )


def check_dev_inbox(settings: Settings) -> None:
    """Refuse to start with the dev inbox on unless every message stays in the sink.

    The inbox shows sign-in codes to anyone who reaches it: acceptable only where no message
    goes to a real phone or mailbox, i.e. a local run."""
    if settings.dev_inbox and (settings.sms_providers != ("sink",)
                               or settings.email_provider != "sink"):
        raise StartupRefused(
            "JIANGXIN_NOTIFICATION_DEV_INBOX is on while messages go to "
            f"{', '.join(settings.sms_providers)} (SMS) and {settings.email_provider} (email): "
            "the dev inbox shows sign-in codes to anyone and is for local runs with the sink "
            "only. Turn it off, or set SMS_PROVIDERS=[\"sink\"] and EMAIL_PROVIDER=sink."
        )


# What each real SMS provider must be given explicitly (nothing falls back to a default).
_REQUIRED_SMS_SETTINGS = {
    "aliyun": ("aliyun_access_key_id", "aliyun_access_key_secret", "aliyun_sign_name"),
    "tencent": ("tencent_secret_id", "tencent_secret_key", "tencent_sdk_app_id",
                "tencent_sign_name"),
}


def check_sms_providers(settings: Settings) -> None:
    """Refuse to start when a real SMS provider lacks its credentials or its sign name."""
    for provider in settings.sms_providers:
        missing = [
            f"JIANGXIN_NOTIFICATION_{name.upper()}"
            for name in _REQUIRED_SMS_SETTINGS.get(provider, ())
            if not _value(getattr(settings, name))
        ]
        if missing:
            raise StartupRefused(
                f"SMS through {provider} needs {', '.join(missing)}: a real provider is used "
                f"only as configured, never with a default sign name or empty credentials.")


def _value(setting: object) -> str:
    return setting.get_secret_value() if isinstance(setting, SecretStr) else str(setting)


def check_provider_templates(settings: Settings) -> None:
    """Fail at start-up when a real SMS provider lacks an approved template for an event."""
    configured = {"aliyun": settings.aliyun_templates, "tencent": settings.tencent_templates}
    for provider in settings.sms_providers:
        templates = configured.get(provider)
        if templates is None:
            continue
        missing = [
            f"{spec.event_type}:{locale}"
            for spec in SPECS
            if Channel.SMS in spec.channels
            for locale in LOCALES
            if f"{spec.event_type}:{locale}" not in templates and spec.event_type not in templates
        ]
        if missing:
            raise StartupRefused(
                f"{provider}: no SMS template code for {', '.join(missing)}")


@asynccontextmanager
async def open_providers(
    settings: Settings, *, pool: asyncpg.Pool, clock: Clock
) -> AsyncIterator[Providers]:
    """Open the HTTP session and SMTP pool; build each provider with its circuit breaker."""
    timeout = aiohttp.ClientTimeout(
        total=settings.provider_timeout_s, sock_connect=settings.provider_connect_timeout_s
    )
    session = aiohttp.ClientSession()
    smtp: SmtpEmail | None = None
    sms: list[SmsProvider] = []
    email: EmailProvider
    sink = SinkWriter(pool)
    for name in settings.sms_providers:
        if name == "sink":
            sms.append(SinkSms(sink, signature=settings.sms_signature, now=clock.now,
                               keep_codes=settings.dev_inbox))
        elif name == "aliyun":
            sms.append(AliyunSms(
                session=session, endpoint=settings.aliyun_endpoint,
                access_key_id=settings.aliyun_access_key_id,
                access_key_secret=settings.aliyun_access_key_secret.get_secret_value(),
                region=settings.aliyun_region,
                sign_name=settings.aliyun_sign_name,
                templates=settings.aliyun_templates, timeout=timeout,
            ))
        else:
            sms.append(TencentSms(
                session=session, endpoint=settings.tencent_endpoint,
                secret_id=settings.tencent_secret_id,
                secret_key=settings.tencent_secret_key.get_secret_value(),
                region=settings.tencent_region, sdk_app_id=settings.tencent_sdk_app_id,
                sign_name=settings.tencent_sign_name,
                templates=settings.tencent_templates, timeout=timeout,
            ))
    breakers = tuple(
        (p, CircuitBreaker(threshold=settings.breaker_threshold,
                           cooldown_s=settings.breaker_cooldown_s)) for p in sms
    )
    if settings.email_provider == "smtp":
        smtp = SmtpEmail(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.mail_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            security=settings.smtp_security, timeout=settings.provider_timeout_s,
            pool_size=settings.smtp_pool_size,
        )
        email = smtp
    else:
        email = SinkEmail(sink, now=clock.now)
    log.info("providers_ready", sms=[p.name for p in sms], email=settings.email_provider)
    try:
        yield Providers(sms=breakers, email=email)
    finally:
        if smtp is not None:
            await smtp.close()
        await session.close()
