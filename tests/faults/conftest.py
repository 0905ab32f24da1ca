"""Systems of their own for fault tests: each may be killed, cut off and restarted."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import TEST_DATABASE_URL
from tests.system.harness import System

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
