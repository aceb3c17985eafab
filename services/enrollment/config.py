"""Settings of the enrollment service (environment variables are read here only)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import ClassVar

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    """`JIANGXIN_ENROLLMENT_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "enrollment"
    default_port: ClassVar[int] = 8081

    # Keys: this service signs access tokens and encrypts ID numbers.
    jwt_private_key_file: Path = Path("var/keys/jwt-ed25519.pem")
    access_token_ttl_s: int = 7 * 24 * 3600
    pii_transport_key_file: Path = Path("var/keys/pii-transport.key")
    pii_at_rest_key_file: Path = Path("var/keys/pii-at-rest.key")
    # Business time zone: class days, "tomorrow" for reminders, "today" for statistics.
    timezone: str = "Asia/Shanghai"
    # Quiet hours: the notification service holds non-critical SMS until they end, so a seat
    # offer made then starts its acceptance period at their end (local time of the zone). Same
    # names as notification's settings: JIANGXIN_QUIET_START / JIANGXIN_QUIET_END set both.
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    quiet_timezone: str = "Asia/Shanghai"
    # One-time codes (defaults: what SMS providers enforce per number).
    otp_ttl_s: int = 300
    otp_max_attempts: int = 5
    otp_per_minute: int = 1
    otp_per_hour: int = 5
    otp_per_day: int = 10
    # Password sign-in (trainers, administrators): this many failures per phone, or per client
    # address, within the window lock that phone's / address's password sign-in for lock_s.
    password_failures_per_phone: int = 5
    password_failures_per_ip: int = 20
    password_failure_window_s: int = 900
    password_lock_s: int = 900
    # Background jobs (every instance runs them; they are safe to run concurrently).
    run_jobs: bool = True
    offer_check_interval_s: float = 30.0
    reminder_check_interval_s: float = 300.0
    housekeeping_interval_s: float = 3600.0
    idempotency_retention_hours: int = 24
