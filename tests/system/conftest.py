"""The whole system under supervisord, started once for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
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
        "LOG_LEVEL": "INFO",
    }
    run_dir: Path = tmp_path_factory.mktemp("system")
    system = System(run_dir=run_dir, env=env)
    system.start()
    yield system
    system.stop()
    client.flushdb()
    client.close()
