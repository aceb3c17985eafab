"""Settings of the notification service (environment variables are read here only)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from shared.config import ServiceSettings

SmsProviderName = Literal["sink", "aliyun", "tencent"]


class Settings(ServiceSettings):
    """`JIANGXIN_NOTIFICATION_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "notification"
    default_port: ClassVar[int] = 8083

    # The only key this service holds (var/keys/notification/): the JWT public key, to verify.
    jwt_public_key_file: Path = Path("var/keys/notification/jwt-signing.pub.pem")

    # Providers: SMS providers in failover order; the sink keeps messages in the database.
    sms_providers: tuple[SmsProviderName, ...] = ("sink",)
    email_provider: Literal["sink", "smtp"] = "sink"
    sms_signature: str = "匠心培训"
    provider_timeout_s: float = 10.0
    provider_connect_timeout_s: float = 3.0
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 30.0

    # Aliyun SendSms (dysmsapi 2017-05-25, RPC signature v1 HMAC-SHA1)
    aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_access_key_id: str = ""
    aliyun_access_key_secret: SecretStr = SecretStr("")
    aliyun_region: str = "cn-hangzhou"
    aliyun_sign_name: str = ""
    aliyun_templates: dict[str, str] = Field(default_factory=dict)

    # Tencent Cloud SMS SendSms (API 3.0, 2021-01-11, TC3-HMAC-SHA256)
    tencent_endpoint: str = "https://sms.tencentcloudapi.com/"
    tencent_secret_id: str = ""
    tencent_secret_key: SecretStr = SecretStr("")
    tencent_region: str = "ap-guangzhou"
    tencent_sdk_app_id: str = ""
    tencent_sign_name: str = ""
    tencent_templates: dict[str, str] = Field(default_factory=dict)

    # SMTP
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_pool_size: int = 4
    mail_from: str = "匠心培训 <noreply@jiangxin.local>"
    mail_domain: str = "jiangxin.local"

    # /dev/inbox shows what the sink captured, sign-in codes included: local runs only.
    dev_inbox: bool = False

    # Delivery-receipt callbacks must carry ?token=<receipt_token> when it is set.
    receipt_token: SecretStr = SecretStr("")

    # Respect for the recipient
    default_timezone: str = "Asia/Shanghai"
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    otp_per_minute: int = 1
    otp_per_hour: int = 5
    otp_per_day: int = 10
    same_template_per_day: int = 10
    same_content_window_s: int = 30

    # Dispatcher
    run_dispatcher: bool = True
    dispatch_batch: int = 200
    dispatch_concurrency: int = 64
    dispatch_poll_s: float = 0.5
    dispatch_linger_s: float = 0.02
    retry_backoff_s: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    max_send_attempts: int = 5
    sending_stuck_after_s: float = 300.0
    unknown_query_after_s: float = 600.0
    unknown_expires_after_s: float = 86_400.0
    reconcile_interval_s: float = 30.0
