"""Does a token's user still exist? Asked of auth when a socket opens, and remembered.

Tokens are checked by signature alone, so a deleted user's token would otherwise open
sockets until it expires. The edge asks auth (`GET /users/me` with the player's token) once
per user per USER_CHECK_TTL_S. If auth or its database cannot answer, the socket is let in:
rooms must keep working while MySQL is down, and the signature has already been checked.
"""

from __future__ import annotations

import logging
import time

import httpx

log = logging.getLogger(__name__)


class UserCheck:
    def __init__(self, auth_url: str, ttl_s: float, timeout_s: float = 2.0) -> None:
        self.client = httpx.AsyncClient(base_url=auth_url, timeout=timeout_s)
        self.ttl_s = ttl_s
        self._known: dict[int, tuple[bool, float]] = {}

    async def exists(self, user_id: int, token: str) -> bool:
        cached = self._known.get(user_id)
        now = time.monotonic()
        if cached is not None and now - cached[1] < self.ttl_s:
            return cached[0]
        try:
            answer = await self.client.get(
                "/users/me", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            log.warning("could not ask auth whether user %d exists (%s); letting them in",
                        user_id, exc)
            return True
        if answer.status_code not in (200, 401, 404):
            log.warning("auth answered %d about user %d; letting them in",
                        answer.status_code, user_id)
            return True
        found = answer.status_code == 200
        if len(self._known) > 100_000:
            self._known.clear()  # a crude bound; the cache refills from auth
        self._known[user_id] = (found, now)
        return found

    async def close(self) -> None:
        await self.client.aclose()
