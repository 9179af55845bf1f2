"""Configuration, read only from the environment (docs/architecture.md §8).

Every process builds one `Settings` at start-up. Defaults suit a native local run on loopback; `make up`
writes generated secrets to `var/secrets.env` and the servers' addresses come from
`deploy/native/infra.sh env`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = field(default_factory=lambda: _env("LICHENG_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    mongo_uri: str = field(default_factory=lambda: _env("LICHENG_MONGO_URI", "mongodb://127.0.0.1:27017/"))
    # Each service owns the database f"{db_prefix}_{service}"; tests use a unique prefix per session.
    db_prefix: str = field(default_factory=lambda: _env("LICHENG_DB_PREFIX", "licheng"))
    s3_endpoint: str = field(default_factory=lambda: _env("LICHENG_S3_ENDPOINT", "127.0.0.1:8333"))
    s3_access_key: str = field(default_factory=lambda: _env("LICHENG_S3_ACCESS_KEY", ""))
    s3_secret_key: str = field(default_factory=lambda: _env("LICHENG_S3_SECRET_KEY", ""))
    s3_secure: bool = field(default_factory=lambda: _env_bool("LICHENG_S3_SECURE", False))
    bucket_prefix: str = field(default_factory=lambda: _env("LICHENG_BUCKET_PREFIX", "licheng"))
    jwt_secret: str = field(default_factory=lambda: _env("LICHENG_JWT_SECRET", ""))
    jwt_audience: str = field(default_factory=lambda: _env("LICHENG_JWT_AUDIENCE", "licheng"))
    # A session's absolute lifetime (login to forced re-login); its access tokens live much shorter.
    jwt_ttl_seconds: int = field(default_factory=lambda: _env_int("LICHENG_JWT_TTL_SECONDS", 8 * 3600))
    access_ttl_seconds: int = field(default_factory=lambda: _env_int("LICHENG_ACCESS_TTL_SECONDS", 15 * 60))
    # A session unused this long ends (browser idle timeout; API clients' refresh counts as use).
    session_idle_seconds: int = field(default_factory=lambda: _env_int("LICHENG_SESSION_IDLE_SECONDS", 30 * 60))
    # Each gateway worker fetches ended sessions this often (a revocation holds within twice this).
    revocation_poll_seconds: int = field(default_factory=lambda: _env_int("LICHENG_REVOCATION_POLL_SECONDS", 10))
    field_key: str = field(default_factory=lambda: _env("LICHENG_FIELD_KEY", ""))
    rpc_timeout_seconds: int = field(default_factory=lambda: _env_int("LICHENG_RPC_TIMEOUT_SECONDS", 30))
    # how often projections fed by events converge on their source (also once at every start)
    reconcile_seconds: int = field(default_factory=lambda: _env_int("LICHENG_RECONCILE_SECONDS", 300))
    # Reads answer interactively; a request's RPCs together get this long (writes: the line above).
    rpc_read_timeout_seconds: int = field(default_factory=lambda: _env_int("LICHENG_RPC_READ_TIMEOUT_SECONDS", 10))
    rpc_pool_size: int = field(default_factory=lambda: _env_int("LICHENG_RPC_POOL_SIZE", 8))
    max_body_bytes: int = field(default_factory=lambda: _env_int("LICHENG_MAX_BODY_BYTES", 12 * 1024 * 1024))
    login_max_failures: int = field(default_factory=lambda: _env_int("LICHENG_LOGIN_MAX_FAILURES", 5))
    login_lock_seconds: int = field(default_factory=lambda: _env_int("LICHENG_LOGIN_LOCK_SECONDS", 900))
    # Failed logins from one source address (any account, any school) within the window refuse it.
    login_address_max_failures: int = field(default_factory=lambda: _env_int("LICHENG_LOGIN_ADDRESS_MAX_FAILURES", 30))
    login_address_window_seconds: int = field(default_factory=lambda: _env_int("LICHENG_LOGIN_ADDRESS_WINDOW_SECONDS", 900))
    national_url: str = field(default_factory=lambda: _env("LICHENG_NATIONAL_URL", "http://127.0.0.1:8090"))
    backup_dir: str = field(default_factory=lambda: _env("LICHENG_BACKUP_DIR", "var/backups"))
    backup_interval_hours: int = field(default_factory=lambda: _env_int("LICHENG_BACKUP_INTERVAL_HOURS", 24))
    backup_keep_count: int = field(default_factory=lambda: _env_int("LICHENG_BACKUP_KEEP_COUNT", 7))
    backup_keep_days: int = field(default_factory=lambda: _env_int("LICHENG_BACKUP_KEEP_DAYS", 30))
    # A second copy of every backup in an S3 bucket, on this store or another (empty bucket: off).
    backup_s3_bucket: str = field(default_factory=lambda: _env("LICHENG_BACKUP_S3_BUCKET", ""))
    backup_s3_endpoint: str = field(default_factory=lambda: _env("LICHENG_BACKUP_S3_ENDPOINT", ""))  # default: the S3 above
    backup_s3_access_key: str = field(default_factory=lambda: _env("LICHENG_BACKUP_S3_ACCESS_KEY", ""))
    backup_s3_secret_key: str = field(default_factory=lambda: _env("LICHENG_BACKUP_S3_SECRET_KEY", ""))
    backup_s3_secure: bool = field(default_factory=lambda: _env_bool("LICHENG_BACKUP_S3_SECURE", False))
    # Archived portfolios (畢業/轉出) are kept this many years after leaving unless the registrar sets another.
    archive_retention_years: int = field(default_factory=lambda: _env_int("LICHENG_ARCHIVE_RETENTION_YEARS", 1))
    upload_retry_delays: str = field(default_factory=lambda: _env("LICHENG_UPLOAD_RETRY_DELAYS", "5,30,120"))
    upload_max_attempts: int = field(default_factory=lambda: _env_int("LICHENG_UPLOAD_MAX_ATTEMPTS", 5))
    upload_prefetch: int = field(default_factory=lambda: _env_int("LICHENG_UPLOAD_PREFETCH", 4))
    # unfinished items one upload keeps on the shared work queue (services/national_upload/pacing.py)
    upload_publish_window: int = field(default_factory=lambda: _env_int("LICHENG_UPLOAD_PUBLISH_WINDOW", 400))
    national_timeout_seconds: int = field(default_factory=lambda: _env_int("LICHENG_NATIONAL_TIMEOUT_SECONDS", 20))
    # How many reverse proxies stand before the gateway (their X-Forwarded-For names the client).
    trusted_proxies: int = field(default_factory=lambda: _env_int("LICHENG_TRUSTED_PROXIES", 0))
    cookie_secure: bool = field(default_factory=lambda: _env_bool("LICHENG_COOKIE_SECURE", False))
    # The address users open (https://licheng.example.tp.edu.tw); a provider's registered redirect
    # URI and e-mail links start with it. Empty: the address the request came to.
    public_url: str = field(default_factory=lambda: _env("LICHENG_PUBLIC_URL", ""))

    # E-mail reminders (services/reminders): the relay the mail workers hand messages to. An empty
    # host turns sending off (messages wait on the queue); the daily plan runs at this Taipei hour
    # (-1: only when asked).
    smtp_host: str = field(default_factory=lambda: _env("LICHENG_SMTP_HOST", "127.0.0.1"))
    smtp_port: int = field(default_factory=lambda: _env_int("LICHENG_SMTP_PORT", 25))
    smtp_user: str = field(default_factory=lambda: _env("LICHENG_SMTP_USER", ""))
    smtp_password: str = field(default_factory=lambda: _env("LICHENG_SMTP_PASSWORD", ""))
    smtp_security: str = field(default_factory=lambda: _env("LICHENG_SMTP_SECURITY", "none"))  # none | starttls | tls
    smtp_timeout_seconds: int = field(default_factory=lambda: _env_int("LICHENG_SMTP_TIMEOUT_SECONDS", 20))
    mail_from: str = field(default_factory=lambda: _env("LICHENG_MAIL_FROM", "歷程 學習歷程平臺 <noreply@licheng.invalid>"))
    mail_per_minute: int = field(default_factory=lambda: _env_int("LICHENG_MAIL_PER_MINUTE", 120))
    mail_retry_delays: str = field(default_factory=lambda: _env("LICHENG_MAIL_RETRY_DELAYS", "60,600,3600"))
    mail_max_attempts: int = field(default_factory=lambda: _env_int("LICHENG_MAIL_MAX_ATTEMPTS", 4))
    reminder_hour: int = field(default_factory=lambda: _env_int("LICHENG_REMINDER_HOUR", 7))

    def database_name(self, service: str) -> str:
        return f"{self.db_prefix}_{service}"

    def nameko_config(self) -> dict:
        """The config dict Nameko containers and standalone proxies take."""
        return {
            "AMQP_URI": self.amqp_uri,
            "serializer": "json",
            # Nameko's own RPC reply timeout; the gateway pool also passes its own timeout.
            "max_workers": _env_int("LICHENG_MAX_WORKERS", 10),
        }

    def require_secrets(self) -> None:
        """Fail at start-up, not at the first request, when a secret is missing."""
        missing = [n for n, v in (("LICHENG_JWT_SECRET", self.jwt_secret), ("LICHENG_FIELD_KEY", self.field_key)) if not v]
        if missing:
            raise RuntimeError(f"missing secrets in the environment: {', '.join(missing)}")


def load_settings() -> Settings:
    return Settings()
