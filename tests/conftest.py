"""Shared fixtures: the real Redis and MariaDB the suite runs against.

The suite uses its own Redis database number and its own MariaDB database, and fails (never
skips) when either service cannot be reached. Override with TEST_REDIS_URL and
TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common.config import Settings

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "mysql+asyncmy://root@127.0.0.1:3306/rooms_test"
)


def make_settings(**overrides: object) -> Settings:
    """Settings for tests: the test services, fast bcrypt, and whatever a test overrides."""
    values: dict[str, object] = {
        "redis_url": TEST_REDIS_URL,
        "database_url": TEST_DATABASE_URL,
        "secret_key": "test-secret-key-0123456789abcdef0123456789",
        "bcrypt_rounds": 4,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def _sync_admin_url() -> str:
    """The test database's server, reached with a blocking driver for set-up and clean-up."""
    url = make_url(TEST_DATABASE_URL).set(drivername="mysql+pymysql", database="")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_name() -> Iterator[str]:
    """Create the test database for the session and drop it afterwards."""
    name = make_url(TEST_DATABASE_URL).database
    assert name, "TEST_DATABASE_URL must name a database"
    engine = create_engine(_sync_admin_url())
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    except Exception as exc:
        pytest.fail(f"MariaDB at {TEST_DATABASE_URL} is unreachable: {exc}", pytrace=False)
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    engine.dispose()


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    """A client on the test Redis database, emptied before and after each test."""
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        await client.flushdb()
    except Exception as exc:
        pytest.fail(f"Redis at {TEST_REDIS_URL} is unreachable: {exc}", pytrace=False)
    yield client
    await client.flushdb()
    await client.aclose()
