"""Auth's limits: body size and type, failed-login throttling shared through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as aioredis

from auth.db import Database
from auth.models import username_key
from auth.throttle import LoginThrottle
from common import tokens
from common.config import Settings
from tests.auth.support import PASSWORD, login, register, serve
from tests.conftest import make_settings


@pytest.fixture
def strict(database_name: str) -> Settings:
    """Throttling as deployed, with small numbers: 3 per account, 5 per address."""
    return make_settings(login_max_failures=3, login_max_failures_per_address=5,
                         login_window_s=60)


async def test_a_body_over_4_kib_is_refused_with_413_before_it_is_read(
    client: httpx.AsyncClient
) -> None:
    big = {"username": "alice", "password": PASSWORD, "pad": "x" * 5000}
    declared = await client.post("/register", json=big)
    assert declared.status_code == 413
    assert declared.json() == {"detail": "request body is over 4096 bytes"}

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"username": "alice", "password": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    streamed = await client.post("/register", content=chunks(),
                                 headers={"content-type": "application/json"})
    assert streamed.status_code == 413


async def test_a_body_that_is_not_json_is_refused_with_415(client: httpx.AsyncClient) -> None:
    answer = await client.post("/login", content=b"username=a&password=b",
                               headers={"content-type": "text/plain"})
    assert answer.status_code == 415
    assert "application/json" in answer.json()["detail"]


async def test_failed_logins_for_one_account_are_refused_for_a_while(
    strict: Settings, database: Database
) -> None:
    async with serve(strict) as (_, client):
        await register(client, "target")
        for _ in range(3):
            assert (await login(client, "target", "wrong password")).status_code == 401
        blocked = await login(client, "target")  # even the right password waits
        assert blocked.status_code == 429
        assert 0 < int(blocked.headers["retry-after"]) <= 60
        assert blocked.json()["detail"].startswith("too many failed logins; try again in")


async def test_a_guesser_elsewhere_does_not_lock_the_owner_out(
    strict: Settings, database: Database, redis_client: aioredis.Redis
) -> None:
    async with serve(strict) as (_, client):
        await register(client, "owner")
        # Failures counted for the account from another address, as a remote guesser's are.
        for _ in range(3):
            await LoginThrottle(redis_client, strict).failed(username_key("owner"),
                                                             "192.0.2.7")
        assert (await login(client, "owner")).status_code == 200


async def test_logins_go_through_when_the_throttle_cannot_reach_redis(
    database_name: str, database: Database
) -> None:
    settings = make_settings(redis_url="redis://127.0.0.1:1/0", login_max_failures=1)
    async with serve(settings) as (_, client):
        await register(client, "unthrottled")
        for _ in range(3):
            assert (await login(client, "unthrottled", "wrong password")).status_code == 401
        assert (await login(client, "unthrottled")).status_code == 200


async def test_a_token_names_its_own_user_and_only_while_that_user_exists(
    client: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    user_id = (await register(client, "findme")).json()["id"]
    token = (await login(client, "findme")).json()["access_token"]
    found = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert (found.status_code, found.json()["id"]) == (200, user_id)

    assert (await client.get("/users/me")).status_code == 401
    bad = await client.get("/users/me", headers={"Authorization": "Bearer nonsense"})
    assert (bad.status_code, bad.json()["detail"]) == (401, "invalid token")
    ghost = tokens.issue(settings, user_id + 1000, "ghost")
    gone = await client.get("/users/me", headers={"Authorization": f"Bearer {ghost}"})
    assert (gone.status_code, gone.json()["detail"]) == (404, "no such user")
    # No way to list other users by id.
    assert (await client.get(f"/users/{user_id}")).status_code in (404, 405)
