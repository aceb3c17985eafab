"""Settings shared by every service; each service's config.py extends `ServiceSettings`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shared.auth import DEFAULT_MAX_TOKEN_LIFETIME_S


class ServiceSettings(BaseSettings):
    """Read `JIANGXIN_<SERVICE>_<FIELD>` first, then `JIANGXIN_<FIELD>` shared by all services."""

    service_name: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8080

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    http_host: str = "127.0.0.1"
    http_port: int = 0
    # Let several processes of one service listen on the same port (Linux SO_REUSEPORT; the
    # kernel spreads connections over them): one process per core on a single machine.
    http_reuse_port: bool = False
    # Unset: user postgres on this machine, or with local_accounts the service's own role.
    database_url: str = ""
    # An administrator's connection (any database of the server), for `jiangxin migrate` only:
    # it creates each service's role and database owned by that role. Never give it a service.
    admin_database_url: str = ""
    db_pool_min: int = 2
    db_pool_max: int = 10
    # Unset: guest on this machine, or with local_accounts the service's own user.
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # The management API with an administrator's login (http://user:password@host:15672), for
    # `jiangxin broker-users` only; without it that command uses rabbitmqctl on this machine.
    broker_admin_url: str = ""
    # make run turns this on: a database or broker URL left unset means the service's own role
    # and user jiangxin_<service> with the passwords its set-up wrote in
    # var/keys/<service>/database-password and broker-password (while a file is missing:
    # postgres, guest). Off, nothing reads those files (tests, benchmarks, other checkouts).
    local_accounts: bool = False
    namespace: str = Field("jiangxin", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "console"
    public_base_url: str = "http://localhost:8080"
    # X-Forwarded-For is believed only from these proxies (IPs/CIDRs: the gateway's address).
    trusted_proxies: tuple[str, ...] = ()
    # Each service reads its keys from its own folder var/keys/<service>/ (shared/keyfiles.py),
    # so each service's config.py names this file in its folder again.
    jwt_public_key_file: Path = Path("var/keys/service/jwt-signing.pub.pem")
    jwt_issuer: str = "jiangxin"
    jwt_audience: str = "jiangxin"
    # Tokens whose lifetime (exp - iat) exceeds this are refused (401 token_lifetime_too_long):
    # the same value on every service (JIANGXIN_MAX_TOKEN_LIFETIME_S), at least the longest
    # sign-in enrollment gives (trainee_token_ttl_s).
    max_token_lifetime_s: int = Field(DEFAULT_MAX_TOKEN_LIFETIME_S, ge=60)
    # How often each process re-reads the user access table (disabled users, token versions)
    # even when no change was announced: the bound on how long a revoked token still works.
    access_refresh_s: float = Field(15.0, gt=0, le=60)
    # Messaging: the consumer (shared/messaging/consumer.py ConsumerSettings is built from these)
    prefetch: int = 64
    # A lost lock race (deadlock, serialization failure, lock timeout) is tried again in place,
    # after a random pause below a cap that doubles each time (full jitter), this many times
    # before the message takes a delay tier: two instances racing for one aggregate's rows must
    # not leave the loser waiting out a tier's TTL for a lock released milliseconds later.
    immediate_retries: int = 10
    # Under load, deliveries that are ready at the same moment share one transaction (one inbox
    # statement, one commit) instead of one each; a batch that fails in any way is rolled back
    # and every message in it goes through the one-at-a-time path with its retries. 1 disables it.
    consumer_batch_max: int = 64
    # One batch in flight: messages arriving meanwhile form the next one. More would let two
    # batches take the same hot rows (a serial-number counter) in different orders and deadlock.
    consumer_batch_concurrency: int = 1
    # The largest body read at all (our events are a few kilobytes); a bigger one goes to
    # `.error` unread, so a hostile or broken producer cannot make consumers parse megabytes.
    max_message_bytes: int = 1 << 20
    delay_tiers_ms: tuple[int, ...] = (1_000, 10_000, 60_000)
    delivery_limit: int = 50
    # The relay (shared/messaging/relay.py RelaySettings is built from these)
    relay_batch_size: int = 500
    # Batches in flight at once: while one waits for its confirms, another claims and publishes.
    # Safe for per-aggregate order: a row is claimable only when no earlier row of its aggregate
    # is unsent, and a row claimed by another worker (or relay) is still unsent until it commits.
    relay_workers: int = 2
    relay_poll_interval_s: float = 1.0
    relay_parked_retry_s: float = 60.0
    outbox_retention_hours: int = 24
    inbox_retention_days: int = 7
    shutdown_grace_s: float = 20.0
    run_relay: bool = True
    run_consumers: bool = True
    migrate_on_start: bool = True

    @model_validator(mode="after")
    def _fill_defaults(self) -> ServiceSettings:
        # Frozen model: defaults that depend on the class are filled through object.__setattr__.
        if not self.http_port:
            object.__setattr__(self, "http_port", self.default_port)
        if not self.database_url:
            object.__setattr__(self, "database_url", self._own_account(
                "database-password", "postgresql://{user}@127.0.0.1:5432/jiangxin_{service}"))
        if self.local_accounts and "amqp_url" not in self.model_fields_set:
            object.__setattr__(self, "amqp_url", self._own_account(
                "broker-password", "amqp://{user}@127.0.0.1:5672/"))
        return self

    def _own_account(self, password_file: str, url: str) -> str:
        """Return the URL of this service's own account when its password file exists, else
        the shared development account (postgres, guest) of earlier releases."""
        path = Path("var/keys") / self.service_name / password_file
        if self.local_accounts and path.is_file():
            user = f"jiangxin_{self.service_name}:{quote(path.read_text().strip(), safe='')}"
        else:
            user = "postgres" if url.startswith("postgresql") else "guest:guest"
        return url.format(user=user, service=self.service_name)

    @property
    def exchange_name(self) -> str:
        """Return the one durable topic exchange every event goes through."""
        return f"{self.namespace}.events"

    @property
    def queue_name(self) -> str:
        """Return this service's work queue."""
        return f"{self.namespace}.{self.service_name}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        own = EnvSettingsSource(
            settings_cls, env_prefix=f"JIANGXIN_{cls.service_name.upper()}_", case_sensitive=False
        )
        common = EnvSettingsSource(settings_cls, env_prefix="JIANGXIN_", case_sensitive=False)
        return init_settings, own, common

    def with_overrides(self, **changes: Any) -> ServiceSettings:
        """Return a copy with some fields replaced (tests and CLI)."""
        return self.model_copy(update=changes)


def default_of(settings_cls: type[BaseSettings], name: str) -> Any:
    """Return the default a settings class declares for a field (stated there only)."""
    return settings_cls.model_fields[name].get_default(call_default_factory=True)
