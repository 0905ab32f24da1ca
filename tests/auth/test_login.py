"""`POST /login`: a bearer token for the right password, one identical refusal otherwise."""

from __future__ import annotations

import statistics
import time

import httpx
import jwt

from auth.db import Database
from common.config import Settings
from tests.auth.support import PASSWORD, login, register, serve
from tests.conftest import make_settings


async def test_login_answers_200_with_a_bearer_token_and_its_lifetime(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    user_id = (await register(client, "alice")).json()["id"]
    before = int(time.time())

    response = await login(client, "alice")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_expire_minutes * 60 == 900

    claims = jwt.decode(body["access_token"], settings.secret_key, algorithms=["HS256"])
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert claims["sub"] == str(user_id)
    assert before + 900 <= claims["exp"] <= int(time.time()) + 900


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    await register(client, "alice")

    wrong_password = await login(client, "alice", "not the password")
    unknown_user = await login(client, "nobody", PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.content == unknown_user.content
    assert (
        wrong_password.headers["www-authenticate"]
        == unknown_user.headers["www-authenticate"]
        == "Bearer"
    )


async def test_wrong_password_and_unknown_user_take_about_the_same_time(
    database_name: str, database: Database
) -> None:
    # Enough rounds that bcrypt, not the request overhead, sets the time: were the
    # unknown-user path to skip bcrypt it would be over ten times faster.
    slow = make_settings(bcrypt_rounds=10)
    tries = 5
    async with serve(slow) as (_, client):
        assert (await register(client, "alice")).status_code == 201
        wrong_password_s: list[float] = []
        unknown_user_s: list[float] = []
        for _ in range(tries):
            for username, times in (("alice", wrong_password_s), ("nobody", unknown_user_s)):
                started = time.perf_counter()
                response = await login(client, username, "not the password")
                times.append(time.perf_counter() - started)
                assert response.status_code == 401

    ratio = statistics.median(unknown_user_s) / statistics.median(wrong_password_s)
    assert 0.3 < ratio < 3, (wrong_password_s, unknown_user_s)


async def test_login_accepts_the_name_in_another_case(client: httpx.AsyncClient) -> None:
    await register(client, "alice")

    assert (await login(client, "ALICE")).status_code == 200
