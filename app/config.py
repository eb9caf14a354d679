"""Settings: the only reader of the environment."""

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE = Path(".ejia-secret")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field("sqlite+aiosqlite:///./ejia.db", validation_alias="DATABASE_URL")
    database_read_url: str | None = Field(None, validation_alias="DATABASE_READ_URL")
    env: Literal["dev", "test", "prod"] = Field("dev", validation_alias="EJIA_ENV")
    secret_key: str = Field("", validation_alias="EJIA_SECRET_KEY")
    sms_backend: Literal["console", "aliyun"] = Field("console", validation_alias="EJIA_SMS_BACKEND")
    otp_per_ip_per_minute: int = Field(60, validation_alias="EJIA_OTP_PER_IP_PER_MINUTE")
    otp_per_phone_per_day: int = 10
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    access_token_days: int = 30
    wechat_app_id: str = Field("", validation_alias="EJIA_WECHAT_APP_ID")
    wechat_app_secret: str = Field("", validation_alias="EJIA_WECHAT_APP_SECRET")
    wechat_api_base: str = Field("https://api.weixin.qq.com", validation_alias="EJIA_WECHAT_API_BASE")
    wechat_open_base: str = Field("https://open.weixin.qq.com", validation_alias="EJIA_WECHAT_OPEN_BASE")
    # Push reminders: the Official Account's subscribe-message template (订阅通知; keys thing1 = what,
    # thing2 = detail, time3 = when) — empty means no WeChat push.
    wechat_subscribe_template: str = Field("", validation_alias="EJIA_WECHAT_SUBSCRIBE_TEMPLATE")
    # Aliyun SMS (dysmsapi SendSms): the sign name and two templates, ${code} for sign-in, ${title} for reminders.
    aliyun_sms_endpoint: str = Field(
        "https://dysmsapi.aliyuncs.com", validation_alias="EJIA_ALIYUN_SMS_ENDPOINT"
    )
    aliyun_access_key_id: str = Field("", validation_alias="EJIA_ALIYUN_ACCESS_KEY_ID")
    aliyun_access_key_secret: str = Field("", validation_alias="EJIA_ALIYUN_ACCESS_KEY_SECRET")
    aliyun_sms_sign_name: str = Field("", validation_alias="EJIA_ALIYUN_SMS_SIGN_NAME")
    aliyun_sms_code_template: str = Field("", validation_alias="EJIA_ALIYUN_SMS_CODE_TEMPLATE")
    aliyun_sms_notice_template: str = Field("", validation_alias="EJIA_ALIYUN_SMS_NOTICE_TEMPLATE")
    public_base_url: str = Field("http://localhost:8000", validation_alias="EJIA_PUBLIC_BASE_URL")
    # The stations map's tile source, e.g. an intranet tile server or a licensed provider's URL with
    # {z}/{x}/{y} (GCJ-02 tiles: station coordinates are GCJ-02). Empty: the page shows the list only.
    map_tile_url: str = Field("", validation_alias="EJIA_MAP_TILE_URL")
    map_attribution: str = Field("", validation_alias="EJIA_MAP_ATTRIBUTION")
    upload_dir: Path = Field(Path("uploads"), validation_alias="EJIA_UPLOAD_DIR")
    # Request bodies are refused above these sizes before anything reads them (app/limits.py);
    # the reverse proxy should refuse the same sizes first (README, "Security model").
    max_body_bytes: int = Field(1024 * 1024, validation_alias="EJIA_MAX_BODY_BYTES")
    max_photo_bytes: int = Field(5 * 1024 * 1024, validation_alias="EJIA_MAX_PHOTO_BYTES")
    run_scheduler: bool = Field(True, validation_alias="EJIA_RUN_SCHEDULER")
    db_pool_size: int = Field(20, validation_alias="EJIA_DB_POOL_SIZE")
    # FULL: an acknowledged ledger posting survives a power cut, not only a crash of the process
    # (NORMAL in WAL mode may lose the last commits when the machine loses power). Cost: README.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field("FULL", validation_alias="EJIA_SQLITE_SYNCHRONOUS")
    # Proxies whose X-Forwarded-For is believed (the load balancer), so per-IP limits see the caller.
    forwarded_allow_ips: str = Field("127.0.0.1", validation_alias="EJIA_FORWARDED_ALLOW_IPS")

    @model_validator(mode="after")
    def _secret(self) -> "Settings":
        if self.secret_key:
            return self
        if self.env == "prod":
            raise ValueError("EJIA_SECRET_KEY must be set when EJIA_ENV=prod")
        if self.env == "test":
            self.secret_key = "test-secret-key-not-for-production"
            return self
        # Development: generate once and keep it beside the data, so sessions survive restarts.
        if not SECRET_FILE.exists():
            SECRET_FILE.write_text(secrets.token_urlsafe(48))
            SECRET_FILE.chmod(0o600)
        self.secret_key = SECRET_FILE.read_text().strip()
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        return self.env == "prod"


@lru_cache
def get_settings() -> Settings:
    return Settings()
