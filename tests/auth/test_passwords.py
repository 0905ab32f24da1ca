"""bcrypt through the passlib API: the pinned pair works, and hashing leaves the loop free."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import time

import bcrypt

from auth.passwords import Hasher
from tests.auth.support import PASSWORD


def test_the_pinned_libpass_and_bcrypt_are_the_ones_installed() -> None:
    # libpass is the maintained fork that keeps the `passlib` import name; passlib 1.7.4
    # itself breaks on bcrypt 4.1 and later.
    assert importlib.metadata.packages_distributions()["passlib"] == ["libpass"]
    assert importlib.metadata.version("libpass") == "1.9.4"
    assert importlib.metadata.version("bcrypt") == "5.0.0"


async def test_hasher_makes_a_2b_bcrypt_hash_that_verifies_the_right_password_only() -> None:
    hasher = Hasher(rounds=4)

    password_hash = await hasher.hash(PASSWORD)

    assert password_hash.startswith("$2b$04$")
    assert PASSWORD not in password_hash
    assert await hasher.verify(PASSWORD, password_hash)
    assert not await hasher.verify("not the password", password_hash)
    assert bcrypt.checkpw(PASSWORD.encode(), password_hash.encode())


async def test_hasher_says_false_without_a_stored_hash() -> None:
    hasher = Hasher(rounds=4)

    assert not await hasher.verify(PASSWORD, None)
    assert not await hasher.verify("not-a-real-password", None)


async def test_hashing_runs_off_the_event_loop() -> None:
    hasher = Hasher(rounds=10)
    ticks = 0

    async def tick_every_10_ms() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick_every_10_ms())
    started = time.perf_counter()
    try:
        password_hash = await hasher.hash(PASSWORD)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    hash_s = time.perf_counter() - started

    assert await hasher.verify(PASSWORD, password_hash)
    # Had the hash blocked the loop, the ticker would not have ticked at all.
    assert ticks >= 3, f"{ticks} ticks during a {hash_s * 1000:.0f} ms hash"
