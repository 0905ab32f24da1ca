"""Password hashing with bcrypt through the passlib API, off the event loop.

passlib 1.7.4 fails against bcrypt 4.1 and later; `libpass` is its maintained fork and keeps
the same `passlib` import. bcrypt reads only the first 72 bytes of a password, so longer
ones are refused at the API (see schemas.py) rather than silently cut.
"""

from __future__ import annotations

import asyncio

from passlib.context import CryptContext

from common import metrics

BCRYPT_MAX_BYTES = 72


class Hasher:
    def __init__(self, rounds: int) -> None:
        self.context = CryptContext(schemes=["bcrypt"], bcrypt__rounds=rounds)
        # Compared against when the user does not exist, so both failures cost one bcrypt.
        self._dummy_hash = self.context.hash("not-a-real-password")

    async def hash(self, password: str) -> str:
        with metrics.HASH_SECONDS.time():
            return await asyncio.to_thread(self.context.hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """True if the password matches; with no hash, spend the same time and say False."""
        target = password_hash if password_hash is not None else self._dummy_hash
        with metrics.HASH_SECONDS.time():
            ok = await asyncio.to_thread(self.context.verify, password, target)
        return ok and password_hash is not None
