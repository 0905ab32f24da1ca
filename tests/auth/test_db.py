"""The user database: answers 503 while it is down, SQLite fallback, concurrent schema set-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import inspect, text

from auth.db import Database
from common.config import Settings
from tests.auth.support import login, register, serve
from tests.conftest import make_settings

# Nothing listens on port 1, so every connection is refused at once.
UNREACHABLE_DATABASE_URL = "mysql+asyncmy://root@127.0.0.1:1/rooms_test"


def _assert_clear_503(response: httpx.Response) -> None:
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"detail"}
    assert "database" in body["detail"]
    assert "unavailable" in body["detail"]
    for leak in ("Traceback", "File \"", "Error", "asyncmy", "127.0.0.1"):
        assert leak not in response.text


async def test_the_app_starts_while_the_database_is_down() -> None:
    async with serve(make_settings(database_url=UNREACHABLE_DATABASE_URL)) as (_, client):
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("path", ["/register", "/login"])
async def test_requests_get_a_clear_503_while_the_database_is_down(path: str) -> None:
    async with serve(make_settings(database_url=UNREACHABLE_DATABASE_URL)) as (_, client):
        response = await client.post(
            path, json={"username": "alice", "password": "correct horse battery"}
        )

    _assert_clear_503(response)


async def test_register_and_login_work_on_the_sqlite_fallback(tmp_path: Path) -> None:
    settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/game.db")

    async with serve(settings) as (_, client):
        registered = await register(client, "alice")
        logged_in = await login(client, "alice")

    assert registered.status_code == 201
    assert logged_in.status_code == 200
    claims = jwt.decode(logged_in.json()["access_token"], settings.secret_key, ["HS256"])
    assert claims["sub"] == str(registered.json()["id"])
    assert (tmp_path / "game.db").is_file()


async def test_the_sqlite_fallback_also_counts_a_name_in_another_case_as_taken(
    tmp_path: Path,
) -> None:
    settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/game.db")

    async with serve(settings) as (_, client):
        assert (await register(client, "bob")).status_code == 201
        response = await register(client, "BOB")

    assert response.status_code == 409, response.text


async def test_several_processes_creating_the_schema_at_once_all_succeed(
    settings: Settings, database: Database
) -> None:
    # Several rounds, since one round may happen not to interleave the check and the CREATE.
    for _ in range(3):
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS users"))
        starters = [Database(settings) for _ in range(6)]
        try:
            results = await asyncio.gather(
                *(starter.ensure_schema() for starter in starters), return_exceptions=True
            )
        finally:
            for starter in starters:
                await starter.dispose()
        assert results == [None] * len(starters)

    async with database.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    assert "users" in tables

    async with serve(settings) as (_, client):
        assert (await register(client, "alice")).status_code == 201
        assert (await login(client, "alice")).status_code == 200
