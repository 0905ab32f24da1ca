"""The whole system under supervisord, started once for the end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import TEST_DATABASE_URL
from tests.system.harness import SYSTEM_REDIS_URL, System

HEARTBEAT_TIMEOUT_S = 3


@pytest.fixture(scope="session")
def system(database_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    client = redis.Redis.from_url(SYSTEM_REDIS_URL)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {SYSTEM_REDIS_URL} is unreachable: {exc}", pytrace=False)

    env = {
        "REDIS_URL": SYSTEM_REDIS_URL,
        "DATABASE_URL": TEST_DATABASE_URL,
        "SECRET_KEY": "system-test-secret-0123456789abcdef0123456789",
        "BCRYPT_ROUNDS": "4",
        "HEARTBEAT_TIMEOUT_S": str(HEARTBEAT_TIMEOUT_S),
        "HEARTBEAT_SCAN_S": "0.5",
        # The fuzz run fails many logins from 127.0.0.1; throttling is tested on its own.
        "LOGIN_MAX_FAILURES": "1000000",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        "LOG_LEVEL": "INFO",
    }
    run_dir: Path = tmp_path_factory.mktemp("system")
    system = System(run_dir=run_dir, env=env)
    system.start()
    yield system
    system.stop()
    client.flushdb()
    client.close()


# Systems of their own, for tests that kill, cut off or reconfigure them.
FAULT_REDIS_URL = os.environ.get("TEST_FAULT_REDIS_URL", "redis://127.0.0.1:6379/13")

SystemFactory = Callable[..., System]


@pytest.fixture
def make_system(database_name: str, tmp_path: Path) -> Iterator[SystemFactory]:
    """Start a fresh system; every one started is stopped after the test."""
    started: list[System] = []

    def start(redis_url: str = FAULT_REDIS_URL, **env: str) -> System:
        if redis_url == FAULT_REDIS_URL:
            redis.Redis.from_url(redis_url).flushdb()
        settings = {
            "REDIS_URL": redis_url,
            "DATABASE_URL": TEST_DATABASE_URL,
            "SECRET_KEY": "fault-test-secret-0123456789abcdef0123456789",
            "BCRYPT_ROUNDS": "4",
            "LOG_LEVEL": "INFO",
            **env,
        }
        system = System(run_dir=tmp_path / f"system{len(started)}", env=settings)
        started.append(system)
        system.start()
        return system

    yield start
    for system in started:
        system.stop()
    redis.Redis.from_url(FAULT_REDIS_URL).flushdb()
