"""One settings object for every process, read from the environment and an optional `.env`.

Every tunable carries its unit in its name. The values the contract names (DATABASE_URL,
REDIS_URL, SECRET_KEY, JWT_ALGORITHM, ACCESS_TOKEN_EXPIRE_MINUTES) fall back to development
defaults when missing, with one warning each, so a fresh checkout runs without any set-up.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEV_SECRET_KEY = "dev-only-secret-key-change-me-0123456789abcdef"
MIN_SECRET_BYTES = 32
DEV_DATABASE_URL = "sqlite+aiosqlite:///./data/game.db"
DEV_REDIS_URL = "redis://127.0.0.1:6379/0"

# Settings whose absence is worth a warning: the rest are tunables with documented defaults.
WARN_WHEN_MISSING = (
    "database_url",
    "redis_url",
    "secret_key",
    "jwt_algorithm",
    "access_token_expire_minutes",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    environment: Literal["development", "production"] = "development"

    database_url: str = DEV_DATABASE_URL
    redis_url: str = DEV_REDIS_URL
    secret_key: str = DEV_SECRET_KEY
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_expire_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)

    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    # Failed logins allowed per account and per client address within LOGIN_WINDOW_S.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_s: int = Field(default=300, ge=1)

    # Where edges ask whether a token's user still exists (default: AUTH_HOST:AUTH_PORT),
    # and how long they remember the answer.
    auth_url: str = ""
    user_check_ttl_s: float = Field(default=60.0, ge=0)

    # The edges' address as browsers reach it (default: ws://<the page's host>:EDGE_PORT).
    public_edge_url: str = ""

    # Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated);
    # empty: none, the connecting address is the client's.
    forwarded_allow_ips: str = ""

    auth_host: str = "127.0.0.1"
    auth_port: int = Field(default=8001, ge=1, le=65535)
    edge_host: str = "127.0.0.1"
    edge_port: int = Field(default=8000, ge=1, le=65535)

    heartbeat_scan_s: float = Field(default=10.0, gt=0)
    heartbeat_timeout_s: float = Field(default=60.0, gt=0)

    # Room ownership: a worker holds each room through a lease it renews every tick, and
    # announces itself alive for the same TTL; a killed worker's rooms move after about that.
    lease_ttl_ms: int = Field(default=3000, ge=300)
    ownership_tick_ms: int = Field(default=500, ge=50)
    # Edges announce themselves every edge_announce_ms; one silent for edge_ttl_ms is dead
    # and its players are removed.
    edge_ttl_ms: int = Field(default=5000, ge=500)
    edge_announce_ms: int = Field(default=1000, ge=100)

    # Entries of history a room's owner keeps in its stream: it trims only entries already
    # applied, at checkpoints, so nothing unread is ever lost to trimming.
    stream_maxlen: int = Field(default=10_000, ge=100)
    # A cap edges apply when they append, so a room whose workers are all down for a long
    # time cannot use unbounded memory; past it the oldest unread entries would be lost.
    stream_hard_maxlen: int = Field(default=100_000, ge=1000)
    # A room's owner writes a checkpoint into its stream after this many applied entries,
    # so the replay tool can start after the stream was trimmed (well under STREAM_MAXLEN).
    checkpoint_every: int = Field(default=500, ge=1)
    stream_read_count: int = Field(default=256, ge=1)
    stream_block_ms: int = Field(default=1000, ge=10)
    room_retention_s: int = Field(default=86_400, ge=60)

    # A busy worker reads (and so broadcasts each room's state) at most once per this many
    # milliseconds; a quiet room is answered at once. 0 turns the pacing off.
    broadcast_interval_ms: int = Field(default=100, ge=0, le=1000)

    send_queue_max: int = Field(default=256, ge=1)
    # Frames a client may send per second on average, and in one burst.
    frame_rate_per_s: float = Field(default=30.0, gt=0)
    frame_burst: int = Field(default=60, ge=1)
    # Players a room holds; a join beyond it is refused with close code 4005.
    room_max_players: int = Field(default=256, ge=1)
    graceful_shutdown_s: int = Field(default=10, ge=1)
    redis_retry_max_s: float = Field(default=5.0, gt=0)
    # Connections per process to Redis; a command waits up to REDIS_POOL_TIMEOUT_S for one.
    redis_max_connections: int = Field(default=256, ge=4)
    redis_pool_timeout_s: float = Field(default=5.0, gt=0)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)

    edge_name: str = "edge"
    worker_name: str = "worker"
    log_level: str = "INFO"
    # text: one readable line per record; json: one JSON object per line.
    log_format: Literal["text", "json"] = "text"

    @model_validator(mode="after")
    def _production_needs_real_secret(self) -> Settings:
        if self.environment == "production" and not _strong_secret(self.secret_key):
            raise ValueError(
                "ENVIRONMENT=production needs its own SECRET_KEY of at least "
                f"{MIN_SECRET_BYTES} bytes; the development key and placeholders are public"
            )
        half_lease_ms = self.lease_ttl_ms // 2
        if self.ownership_tick_ms > half_lease_ms or self.stream_block_ms > half_lease_ms:
            raise ValueError(
                "LEASE_TTL_MS must be at least twice OWNERSHIP_TICK_MS and STREAM_BLOCK_MS, so "
                "that a lease is renewed and a blocking read ends well before it expires"
            )
        if self.heartbeat_scan_s > self.heartbeat_timeout_s:
            raise ValueError(
                f"HEARTBEAT_SCAN_S ({self.heartbeat_scan_s}) must not exceed "
                f"HEARTBEAT_TIMEOUT_S ({self.heartbeat_timeout_s})"
            )
        return self

    def missing(self) -> list[str]:
        """Names of the contract's settings that were not given and use a fallback."""
        return [name for name in WARN_WHEN_MISSING if name not in self.model_fields_set]

    @property
    def auth_base_url(self) -> str:
        return self.auth_url or f"http://{self.auth_host}:{self.auth_port}"

    @property
    def database_explicit(self) -> bool:
        return "database_url" in self.model_fields_set

    @property
    def redis_explicit(self) -> bool:
        return "redis_url" in self.model_fields_set


def _strong_secret(key: str) -> bool:
    # Both the development default and the .env.example placeholder say "change-me".
    return len(key.encode()) >= MIN_SECRET_BYTES and "change-me" not in key.lower()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, loaded once."""
    return Settings()


def warn_about_fallbacks(settings: Settings, used: tuple[str, ...] = WARN_WHEN_MISSING) -> None:
    """Log one warning per setting this process uses that fell back to its default."""
    for name in settings.missing():
        if name not in used:
            continue
        value = getattr(settings, name)
        shown = "<development key>" if name == "secret_key" else value
        log.warning("%s is not set; using the development default %s", name.upper(), shown)
