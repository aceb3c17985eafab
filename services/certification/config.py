"""Settings of the certification service (environment variables are read here only)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from shared.config import ServiceSettings


class Settings(ServiceSettings):
    """`JIANGXIN_CERTIFICATION_<FIELD>` or `JIANGXIN_<FIELD>`."""

    service_name: ClassVar[str] = "certification"
    default_port: ClassVar[int] = 8082

    # The issuing organisation, printed on certificates and named in credentials.
    org_name: str = "匠心职业技能评价中心"
    org_name_en: str = "Jiangxin Vocational Skills Centre"
    # A registered evaluation organisation (评价机构, filed with the human-resources authorities)
    # issues skill-level certificates with national 22-character numbers: its kind (Y/S),
    # organisation code (agency_code), province, site and the levels it is filed for. Training
    # certificates always take the internal format, which never looks national.
    assessment_body: bool = False
    assessment_kind: Literal["Y", "S"] = "S"
    agency_code: str = Field("0000", pattern=r"^\d{4}$")
    province_code: str = Field("36", pattern=r"^\d{2}$")
    site_code: str = Field("000001", pattern=r"^\d{6}$")
    filed_levels: tuple[int, ...] = Field((1, 2, 3, 4, 5), min_length=1)
    internal_number_prefix: str = Field("JX", pattern=r"^[A-Z]{1,6}$")
    # Where public verification, status lists and the DID document read: a streaming replica
    # of database_url (CloudNativePG's `-ro` service; deploy/local/pg-replica.sh locally).
    # Empty: they read the primary like everything else. Writes always go to database_url.
    read_database_url: str = ""
    # Keys (var/keys/certification/, nobody else's). The JWT public key: tokens are verified,
    # never signed here.
    jwt_public_key_file: Path = Path("var/keys/certification/jwt-signing.pub.pem")
    # Fernet key of the PII transport (ID numbers arrive encrypted under it and stay so at rest;
    # decrypted only where a certificate needs the full number).
    pii_transport_key_file: Path = Path("var/keys/certification/pii-transport.key")
    # Fernet key that encrypts the credential signing keys stored in the database
    # (created on first start when missing).
    signing_key_secret_file: Path = Path("var/keys/certification/credential-signing.key")
    key_refresh_s: float = 60.0
    # Public verification: token bucket per client IP (trusted_proxies: see shared/config.py).
    verify_rate_per_s: float = 5.0
    verify_burst: int = 30
    # Lookups by number and name try names against a guessable number: a stricter bucket.
    verify_number_rate_per_s: float = 0.2
    verify_number_burst: int = 10
    verify_cache_max_age_s: int = 30
    status_list_size: int = Field(131_072, ge=131_072)
    # How long a signed status list stays valid (its validUntil): a verifier refuses an older
    # copy, so a list replayed from before a revocation is no use for longer than this.
    status_list_ttl_s: int = Field(86_400, ge=300)
    # A TrueType CJK font is embedded when present; otherwise the built-in STSong-Light is used.
    pdf_font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    pdf_font_subfont_index: int = 0
