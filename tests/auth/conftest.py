"""Fixtures for the auth tests: the app against the test MariaDB, emptied after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis

from auth.db import Database
from common.config import Settings
from tests.auth.support import empty_users, serve
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def _empty_throttle_counters(redis_client: aioredis.Redis) -> None:
    """Every auth test starts with no failed logins counted (the fixture empties Redis)."""


@pytest.fixture
def settings(database_name: str) -> Settings:
    # Not the default expiry, so a test can tell the setting is read rather than assumed.
    # The failed-login throttle (tested on its own) is set out of the way; the Redis
    # fixture empties its counters around each test.
    return make_settings(access_token_expire_minutes=15, login_max_failures=10_000,
                         login_max_failures_per_address=10_000)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """A handle on the test database; every user is deleted when the test ends."""
    database = Database(settings)
    yield database
    await empty_users(database.engine)
    await database.dispose()


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings) as (_, client):
        yield client
