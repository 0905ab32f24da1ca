"""The one settings object: validation, fallbacks and the warnings about them."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from common.config import DEV_SECRET_KEY, WARN_WHEN_MISSING, Settings, warn_about_fallbacks
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the shell's own settings out of these tests."""
    for name in (*WARN_WHEN_MISSING, "environment", "lease_ttl_ms", "ownership_tick_ms",
                 "stream_block_ms", "heartbeat_scan_s", "heartbeat_timeout_s"):
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)


def bare_settings(**values: object) -> Settings:
    """Settings from exactly these values: no `.env`, no test defaults."""
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make_settings(environment="production", secret_key=DEV_SECRET_KEY)


def test_production_refuses_a_missing_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        bare_settings(environment="production")


def test_production_refuses_the_placeholder_secret_key_of_the_example_env_file() -> None:
    # `.env.example` ships this value; copying the file must not yield a public key.
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        make_settings(environment="production", secret_key="change-me-to-a-long-random-string")


def test_production_accepts_its_own_secret_key() -> None:
    settings = make_settings(environment="production", secret_key="p" * 48)

    assert settings.environment == "production"


def test_development_accepts_the_development_secret_key() -> None:
    assert bare_settings().secret_key == DEV_SECRET_KEY


def test_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_ALGORITHM", "HS384")

    settings = bare_settings()

    assert settings.jwt_algorithm == "HS384"
    assert "jwt_algorithm" not in settings.missing()


def test_missing_lists_the_settings_not_given() -> None:
    settings = make_settings()

    assert settings.missing() == ["jwt_algorithm", "access_token_expire_minutes"]


def test_missing_is_empty_when_every_setting_is_given() -> None:
    settings = make_settings(jwt_algorithm="HS256", access_token_expire_minutes=60)

    assert settings.missing() == []


def test_missing_lists_all_five_when_nothing_is_given() -> None:
    assert bare_settings().missing() == list(WARN_WHEN_MISSING)


def test_one_warning_per_missing_setting(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="common.config")

    warn_about_fallbacks(bare_settings())

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len(WARN_WHEN_MISSING)
    for name, record in zip(WARN_WHEN_MISSING, warnings, strict=True):
        assert record.getMessage().startswith(f"{name.upper()} is not set")


def test_warnings_never_show_the_secret_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    warn_about_fallbacks(bare_settings())

    assert "SECRET_KEY is not set" in caplog.text
    assert DEV_SECRET_KEY not in caplog.text


def test_only_the_settings_a_process_uses_are_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="common.config")

    warn_about_fallbacks(bare_settings(redis_url="redis://127.0.0.1:6379/3"),
                         used=("redis_url", "secret_key"))

    assert [r.getMessage().split()[0] for r in caplog.records] == ["SECRET_KEY"]


def test_given_settings_are_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="common.config")

    warn_about_fallbacks(make_settings(jwt_algorithm="HS256", access_token_expire_minutes=5))

    assert caplog.records == []


def test_heartbeat_scan_longer_than_the_timeout_is_refused() -> None:
    with pytest.raises(ValidationError, match="HEARTBEAT_SCAN_S"):
        make_settings(heartbeat_scan_s=61, heartbeat_timeout_s=60)


def test_heartbeat_scan_equal_to_the_timeout_is_accepted() -> None:
    settings = make_settings(heartbeat_scan_s=5, heartbeat_timeout_s=5)

    assert settings.heartbeat_scan_s == settings.heartbeat_timeout_s


def test_lease_shorter_than_two_ownership_ticks_is_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE_TTL_MS"):
        make_settings(lease_ttl_ms=999, ownership_tick_ms=500, stream_block_ms=100)


def test_lease_shorter_than_two_blocking_reads_is_refused() -> None:
    with pytest.raises(ValidationError, match="LEASE_TTL_MS"):
        make_settings(lease_ttl_ms=1000, ownership_tick_ms=100, stream_block_ms=501)


def test_lease_of_exactly_two_ticks_is_accepted() -> None:
    settings = make_settings(lease_ttl_ms=1000, ownership_tick_ms=500, stream_block_ms=500)

    assert settings.lease_ttl_ms == 2 * settings.ownership_tick_ms


@pytest.mark.parametrize(
    "values",
    [{"access_token_expire_minutes": 0}, {"jwt_algorithm": "none"}, {"jwt_algorithm": "RS256"},
     {"heartbeat_scan_s": 0}, {"environment": "staging"}, {"bcrypt_rounds": 3}],
)
def test_values_outside_their_range_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        make_settings(**values)
