"""Helpers for the auth tests: run the app in-process and empty its user table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.app import create_app
from auth.models import Base, User
from common.config import Settings

PASSWORD = "correct horse battery"


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The auth app with its start-up and shut-down run, and a client wired straight to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
            yield app, client


async def empty_users(engine: AsyncEngine) -> None:
    """Delete every user, recreating the table first in case a test dropped it."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(delete(User))


async def register(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/register", json={"username": username, "password": password})


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/login", json={"username": username, "password": password})
