"""Auth's limits: body size and type, failed-login throttling shared through Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from auth.db import Database
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


async def test_a_successful_login_clears_the_account_count(
    strict: Settings, database: Database
) -> None:
    async with serve(strict) as (_, client):
        await register(client, "forgetful")
        for _ in range(2):
            await login(client, "forgetful", "wrong password")
        assert (await login(client, "forgetful")).status_code == 200
        for _ in range(2):
            assert (await login(client, "forgetful", "nope nope")).status_code == 401
        assert (await login(client, "forgetful")).status_code == 200


async def test_one_address_trying_many_accounts_is_refused_too(
    strict: Settings, database: Database
) -> None:
    async with serve(strict) as (_, client):
        for n in range(5):
            assert (await login(client, f"guess{n}", "wrong password")).status_code == 401
        assert (await login(client, "guess9", "wrong password")).status_code == 429


async def test_every_auth_process_sees_the_same_counts(
    strict: Settings, database: Database
) -> None:
    async with serve(strict) as (_, first), serve(strict) as (_, second):
        await register(first, "shared")
        for client in (first, second, first):
            assert (await login(client, "shared", "wrong password")).status_code == 401
        assert (await login(second, "shared")).status_code == 429


async def test_logins_go_through_when_the_throttle_cannot_reach_redis(
    database_name: str, database: Database
) -> None:
    settings = make_settings(redis_url="redis://127.0.0.1:1/0", login_max_failures=1)
    async with serve(settings) as (_, client):
        await register(client, "unthrottled")
        for _ in range(3):
            assert (await login(client, "unthrottled", "wrong password")).status_code == 401
        assert (await login(client, "unthrottled")).status_code == 200


async def test_a_user_can_be_looked_up_by_id(client: httpx.AsyncClient) -> None:
    user_id = (await register(client, "findme")).json()["id"]
    found = await client.get(f"/users/{user_id}")
    assert (found.status_code, found.json()["username"]) == (200, "findme")
    assert (await client.get(f"/users/{user_id + 1000}")).status_code == 404
    assert (await client.get("/users/0")).status_code == 422
    assert (await client.get(f"/users/{2**40}")).status_code == 422
