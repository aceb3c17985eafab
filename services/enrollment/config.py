"""Settings of the enrollment service (environment variables are read here only)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    """`JIANGXIN_ENROLLMENT_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "enrollment"
    default_port: ClassVar[int] = 8081

    # Keys (var/keys/enrollment/, nobody else's): this service alone signs access tokens, and
    # it encrypts ID numbers at rest and for transport to certification.
    jwt_private_key_file: Path = Path("var/keys/enrollment/jwt-signing.pem")
    jwt_public_key_file: Path = Path("var/keys/enrollment/jwt-signing.pub.pem")
    # Access-token lifetimes: trainees sign in with an SMS code, staff (trainers and
    # administrators, who see personal data) with a password. There are no refresh tokens.
    trainee_token_ttl_s: int = Field(12 * 3600, ge=60)
    staff_token_ttl_s: int = Field(8 * 3600, ge=60)

    @model_validator(mode="after")
    def _tokens_within_max_lifetime(self) -> Settings:
        # Every service refuses a token living longer than max_token_lifetime_s.
        if max(self.trainee_token_ttl_s, self.staff_token_ttl_s) > self.max_token_lifetime_s:
            raise ValueError("token ttls must not exceed max_token_lifetime_s")
        return self
    pii_transport_key_file: Path = Path("var/keys/enrollment/pii-transport.key")
    pii_at_rest_key_file: Path = Path("var/keys/enrollment/pii-at-rest.key")
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
    # Beyond one number: codes per client address within the window (many people may share one
    # address behind a carrier's or an office's NAT), and for everybody per minute (a ceiling on
    # SMS spending when a script tries many numbers). Refused with 429 otp_ip_rate_limited /
    # otp_global_rate_limited. The client address: see trusted_proxies.
    otp_per_ip: int = Field(30, ge=1)
    otp_per_ip_window_s: int = Field(600, ge=60, le=86_400)
    otp_global_per_minute: int = Field(1000, ge=1)
    # Where codes may go (SMS pumping, issue 15): mobile numbers of these ISO 3166 regions only
    # (else 422 phone_region_not_allowed), and at most otp_per_prefix_per_hour codes an hour
    # to one block of numbers (the number without its last four digits), else 429
    # otp_prefix_rate_limited. jiangxin_otp_refused_total{reason} counts refusals for alerts.
    otp_regions: tuple[str, ...] = ("CN",)
    otp_per_prefix_per_hour: int = Field(100, ge=1)
    # Password sign-in (trainers, administrators): this many failures per phone, or per client
    # address, within the window lock that phone's / address's password sign-in for lock_s.
    password_failures_per_phone: int = 5
    password_failures_per_ip: int = 20
    password_failure_window_s: int = 900
    password_lock_s: int = 900
    # Password hashing (argon2id, RFC 9106 / OWASP server profile): each hash holds
    # password_hash_memory_kib while it runs and at most password_hashes_in_flight run at once
    # per process; a sign-in that finds no slot within password_hash_wait_s gets 503
    # password_check_busy with Retry-After. Stored hashes keep their own cost and are remade
    # with this one at the next successful sign-in.
    password_hash_memory_kib: int = Field(19 * 1024, ge=19 * 1024, le=46 * 1024)
    password_hash_time_cost: int = Field(2, ge=1, le=3)
    password_hashes_in_flight: int = Field(2, ge=1, le=16)
    password_hash_wait_s: float = Field(2.0, gt=0, le=30)
    # Background jobs (every instance runs them; they are safe to run concurrently).
    run_jobs: bool = True
    offer_check_interval_s: float = 30.0
    # Lotteries whose window has closed are drawn by the first instance to look (at most this
    # long after the close).
    draw_check_interval_s: float = 15.0
    # Survey invitations after completion and the six-month follow-up question.
    survey_check_interval_s: float = 300.0
    reminder_check_interval_s: float = 300.0
    housekeeping_interval_s: float = 3600.0
    idempotency_retention_hours: int = 24
    # The claim pack's PDFs embed this CJK TrueType font (same names as certification's
    # settings: JIANGXIN_PDF_FONT_FILE sets both); without the file they name the viewer's
    # built-in STSong-Light instead, which is not embedded.
    pdf_font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    pdf_font_subfont_index: int = 0
