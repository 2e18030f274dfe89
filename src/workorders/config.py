"""Every knob of the service, read from `WORKORDERS_*` environment variables (and a `.env` file)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-secret-change-me-dev-secret-change-me"
MIN_PRODUCTION_SECRET_BYTES = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{Path('var') / 'workorders.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WORKORDERS_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        # A refused value is never echoed back (it may be a secret).
        hide_input_in_errors=True,
    )

    env: Environment = Environment.DEVELOPMENT
    database_url: str = Field(default_factory=_default_database_url, repr=False)
    # Connection pool per process and engine (the writer and the reader each have one). Kept open:
    # as many as a process uses at once under load (16 requests in flight and the workers' few); past
    # it the pool opens overflow connections and closes each again when it comes back, a new
    # PostgreSQL backend and its statements prepared anew every time (bench/RESULTS.md, round 5), a
    # new thread of aiosqlite's and the file opened anew on SQLite (round 16).
    db_pool_size: int = 20
    db_max_overflow: int = 10
    # How long a SQLite writer waits for the lock before giving up (milliseconds).
    sqlite_busy_timeout_ms: int = 10_000
    allow_sqlite_in_production: bool = False

    # Secrets are kept out of the settings' repr; no message of the service ever shows a value.
    jwt_secret: str = Field(DEV_JWT_SECRET, repr=False)
    # HS256 is checked with the secret; RS256/ES256 with the identity provider's key: a PEM public key,
    # or the keys its JWKS URL publishes (fetched when a token names an unknown `kid`, cached).
    jwt_algorithms: tuple[str, ...] = ("HS256", "RS256", "ES256")
    jwt_public_key: str | None = Field(None, repr=False)
    jwt_jwks_url: str | None = Field(None, repr=False)
    jwt_jwks_cache: timedelta = timedelta(minutes=10)
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    # Tokens minted by `workorders token` live this long unless --ttl says otherwise.
    dev_token_ttl: timedelta = timedelta(hours=12)

    webhook_allow_private_urls: bool = False
    # Webhook delivery: each send is cut off after `webhook_timeout`; a worker leases a delivery for
    # that long plus `webhook_lease_margin`, after which a worker that died mid-send is presumed gone
    # and the delivery is sent again (same `webhook-id`).
    webhook_timeout: timedelta = timedelta(seconds=15)
    webhook_lease_margin: timedelta = timedelta(seconds=45)
    webhook_concurrency: int = 8
    webhook_response_body_limit: int = 4096
    webhook_disable_after: timedelta = timedelta(days=5)
    webhook_secret_grace: timedelta = timedelta(hours=24)
    # The live stream's heartbeat, and how often followers of the feed look again without a wake-up.
    feed_heartbeat_interval: timedelta = timedelta(seconds=15)
    feed_poll_interval: timedelta = timedelta(seconds=1)
    clock_interval: timedelta = timedelta(seconds=30)
    # A resolved order its owner neither confirms nor reopens closes by itself after this long.
    auto_close_after: timedelta = timedelta(hours=72)
    # A property's routing model is retrained once this many new examples arrived; looked at this often.
    routing_retrain_after: int = Field(default=50, ge=1)
    routing_retrain_interval: timedelta = timedelta(minutes=10)

    # Moving-window limits, `name=N/period;…` (services/rate_limits.py names them); counters live in
    # memory unless a Redis URL is given, which replicas then share.
    rate_limits: str = ""
    redis_url: str | None = Field(None, repr=False)
    # Browser origins allowed to call the API (the H5 pages, mini-program web views); none by default.
    # Comma-separated, e.g. `https://h5.example.com,https://servicewechat.com`.
    cors_origins: str = ""
    # FastAPI's own OpenTelemetry (spans, metrics and logs to the process's global providers). Off
    # unless asked for: deciding per request whether it is configured read the environment on every
    # request, 2% of reading an order; the service's metrics are Prometheus's (`/metrics`).
    opentelemetry: bool = False
    # Owners' contact numbers on orders closed this long ago are erased (PIPL: keep no longer than needed).
    contact_retention: timedelta = timedelta(days=3 * 365)

    max_body_bytes: int = 64 * 1024
    # Attachments (photos): where their files live (a volume shared by every replica), and limits.
    data_dir: Path = Path("var") / "data"
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachments_per_order: int = 20
    idempotency_ttl: timedelta = timedelta(hours=24)
    reopen_window: timedelta = timedelta(days=7)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @field_validator("rate_limits")
    @classmethod
    def _known_limits(cls, value: str) -> str:
        from workorders.rate_limits import parse_limits

        parse_limits(value)
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if not self.is_production:
            return self
        problems = []
        if "HS256" not in self.jwt_algorithms:
            pass
        elif self.jwt_secret == DEV_JWT_SECRET:
            problems.append("WORKORDERS_JWT_SECRET is the development secret")
        elif len(self.jwt_secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
            problems.append(
                f"WORKORDERS_JWT_SECRET is shorter than {MIN_PRODUCTION_SECRET_BYTES} bytes"
            )
        if self.is_sqlite and not self.allow_sqlite_in_production:
            problems.append(
                "WORKORDERS_DATABASE_URL is SQLite "
                "(set WORKORDERS_ALLOW_SQLITE_IN_PRODUCTION=true to accept it)"
            )
        if problems:
            raise ValueError("refusing to run in production: " + "; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
