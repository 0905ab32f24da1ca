"""The user database: engine, sessions and creating the table at start-up.

Start-up never fails because the database is down: the table is created on the first
request that finds the database reachable, and until then requests answer 503.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from auth.models import Base
from common.config import Settings

log = logging.getLogger(__name__)

# Driver and network failures that mean "the database is not there right now".
DB_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                  sa_exc.TimeoutError, ConnectionError, TimeoutError, OSError)


class DatabaseUnavailable(Exception):
    """The user database cannot be reached; answered with 503."""


def make_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return create_async_engine(url, hide_parameters=True)
    return create_async_engine(
        url,
        # Statement parameters hold password hashes: keep them out of errors and logs.
        hide_parameters=True,
        # Checks each pooled connection before use, so one the server closed for idleness
        # (wait_timeout) is replaced instead of failing a request.
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={"connect_timeout": settings.db_connect_timeout_s},
    )


class Database:
    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    async def ensure_schema(self) -> None:
        """Create the users table if missing; safe when several processes start at once."""
        if self._schema_ready:
            return
        async with self._schema_lock:
            if self._schema_ready:
                return
            try:
                await self._create_tables()
            except DB_UNAVAILABLE as exc:
                raise DatabaseUnavailable(str(exc)) from exc
            self._schema_ready = True
            log.info("user table ready on %s", self.engine.url.render_as_string())

    async def _create_tables(self) -> None:
        for attempt in range(3):
            try:
                async with self.engine.begin() as conn:
                    await conn.run_sync(Base.metadata.create_all)
                return
            except sa_exc.OperationalError as exc:
                # Another process created the table between our check and our CREATE.
                if "already exists" not in str(exc) or attempt == 2:
                    raise

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
