"""Benchmark users: registered and logged in once, then reused from a cache.

Registering and logging in costs two bcrypt hashes per user, which is not what a run
measures, so it happens before the measurement and its result is kept: the users database
and the tokens go to bench/results/.users/users.db and the next run copies it into its
private stack. Tokens are signed with the benchmark's fixed key and last a week
(bench/stack.py). The cache is dropped whenever the user schema or token code changes (a
fingerprint of those files); --fresh-users neither reads nor writes it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench import ROOT
from bench.stack import BENCH_SECRET_KEY, TOKEN_MINUTES

CACHE_DIR = ROOT / "bench" / "results" / ".users"
PASSWORD = "bench-password-1"
# A token must outlive the run it is used in by this much, or it is renewed by a login.
TOKEN_MARGIN_S = 3600
# Files whose change could make a cached database or token useless.
FINGERPRINTED = ("auth/models.py", "auth/db.py", "common/tokens.py")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    player_id: int
    token: str
    expires_at: float


def username(index: int) -> str:
    return f"bench{index:06d}"


def fingerprint() -> str:
    digest = hashlib.sha256(f"{BENCH_SECRET_KEY}:{TOKEN_MINUTES}".encode())
    for name in FINGERPRINTED:
        path = ROOT / name
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def token_subject(token: str) -> int:
    """The user id in a token's `sub`; read without checking the signature (auth made it)."""
    payload = token.split(".")[1]
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims["sub"])


@contextmanager
def _database(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that commits on success and is closed either way."""
    db = sqlite3.connect(path)
    try:
        with db:
            yield db
    finally:
        db.close()


def _copy_sqlite(source: Path, target: Path) -> None:
    # The backup API copies a consistent database whatever journal mode the server chose.
    with _database(source) as src, _database(target) as dst:
        src.backup(dst)


class UserPool:
    def __init__(self, db_path: Path, fresh: bool = False, cache_dir: Path = CACHE_DIR) -> None:
        self.db_path = db_path
        self.cache_dir = cache_dir
        self.fresh = fresh
        self.users: dict[str, User] = {}
        self.created = 0
        self.renewed = 0
        self.seconds = 0.0

    @property
    def _cache_db(self) -> Path:
        return self.cache_dir / "users.db"

    def restore(self) -> int:
        """Before the stack starts: put the cached users in place; returns how many."""
        if self.fresh or not self._cache_db.exists():
            return 0
        with _database(self._cache_db) as db:
            try:
                (saved,) = db.execute("SELECT value FROM bench_meta WHERE name = 'fp'").fetchone()
                rows = db.execute("SELECT name, id, token, expires_at FROM bench_tokens")
                users = {name: User(name, *fields) for name, *fields in rows}
            except (sqlite3.Error, TypeError):
                return 0
        if saved != fingerprint():
            return 0
        _copy_sqlite(self._cache_db, self.db_path)
        self.users = users
        return len(users)

    async def ensure(self, auth_url: str, count: int, concurrency: int = 16) -> list[User]:
        """The first `count` benchmark users, registering or logging in whoever is missing.

        Bounded concurrency: auth is one process and each request costs a bcrypt hash.
        """
        started = time.monotonic()
        valid_until = time.time() + TOKEN_MARGIN_S
        todo = [i for i in range(count) if (user := self.users.get(username(i))) is None
                or user.expires_at < valid_until]
        gate = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=auth_url, timeout=30, limits=limits) as http:

            async def one(index: int) -> None:
                async with gate:
                    await self._register_and_login(http, username(index))

            await asyncio.gather(*(one(i) for i in todo))
        self.seconds = time.monotonic() - started
        return [self.users[username(i)] for i in range(count)]

    async def _register_and_login(self, http: httpx.AsyncClient, name: str) -> None:
        body = {"username": name, "password": PASSWORD}
        if name not in self.users:
            created = await http.post("/register", json=body)
            # 409: made by an earlier run whose tokens were not saved; logging in is enough.
            if created.status_code not in (201, 409):
                raise RuntimeError(f"register {name}: {created.status_code} {created.text}")
            self.created += created.status_code == 201
        else:
            self.renewed += 1
        answer = await http.post("/login", json=body)
        if answer.status_code != 200:
            raise RuntimeError(f"login {name}: {answer.status_code} {answer.text}")
        data = answer.json()
        token = str(data["access_token"])
        self.users[name] = User(name, token_subject(token), token,
                                time.time() + float(data["expires_in"]))

    def save(self) -> None:
        """After the stack stopped: keep the users for the next run if any were added.

        The tokens go into the cached database itself, and the file is replaced in one
        rename, so a run starting meanwhile reads either the old set or the new one whole.
        """
        if self.fresh or not (self.created or self.renewed) or not self.db_path.exists():
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = self.cache_dir / f"users.db.{os.getpid()}"
        _copy_sqlite(self.db_path, partial)
        with _database(partial) as db:
            db.execute("CREATE TABLE IF NOT EXISTS bench_meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("INSERT OR REPLACE INTO bench_meta VALUES ('fp', ?)", (fingerprint(),))
            db.execute("CREATE TABLE IF NOT EXISTS bench_tokens (name TEXT PRIMARY KEY, "
                       "id INTEGER, token TEXT, expires_at REAL)")
            db.executemany("INSERT OR REPLACE INTO bench_tokens VALUES (?, ?, ?, ?)",
                           [(u.name, u.player_id, u.token, u.expires_at)
                            for u in self.users.values()])
        os.replace(partial, self._cache_db)
