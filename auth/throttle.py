"""Failed-login throttling, counted in Redis so every auth process agrees.

Each failed login counts, within a window of LOGIN_WINDOW_S seconds, against the account
from that address, against the account from anywhere, and against the address. Logins are
refused with 429 until the window ends, before any password is checked, once the account
has LOGIN_MAX_FAILURES from one address, or ten times that from all addresses together, or
the address has LOGIN_MAX_FAILURES_PER_ADDRESS over all accounts. So a guesser is stopped
quickly, while someone who wants to lock a player out must do so from many addresses. A
successful login clears the account's counts from that address. If Redis is unreachable the
throttle lets logins through and says so in the log: an outage of the counter must not lock
every player out.
"""

from __future__ import annotations

import logging

import redis.asyncio as redis

from common import keys
from common.config import Settings
from common.redis_client import UNAVAILABLE

log = logging.getLogger(__name__)

# INCR the failure counters of one login attempt and start their window on the first one.
_FAIL = """
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 1
"""


class LoginThrottle:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.redis = client
        self.window_s = settings.login_window_s
        # Limits in the order of keys.login_failures: pair, account, address.
        self.limits = (settings.login_max_failures, 10 * settings.login_max_failures,
                       settings.login_max_failures_per_address)
        self._fail = client.register_script(_FAIL)

    async def retry_after(self, account: str, address: str) -> int:
        """Seconds until this account and address may try again; 0 if they may now."""
        counters = keys.login_failures(account, address)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in counters:
                    pipe.get(key)
                    pipe.ttl(key)
                replies = await pipe.execute()
        except UNAVAILABLE as exc:
            log.warning("login throttle unavailable (%s); letting the attempt through", exc)
            return 0
        waits = [max(1, int(ttl)) for count, ttl, limit in
                 zip(replies[::2], replies[1::2], self.limits, strict=True)
                 if int(count or 0) >= limit]
        return max(waits, default=0)

    async def failed(self, account: str, address: str) -> None:
        try:
            await self._fail(keys=list(keys.login_failures(account, address)),
                             args=[self.window_s])
        except UNAVAILABLE as exc:
            log.warning("could not count a failed login (%s)", exc)

    async def succeeded(self, account: str, address: str) -> None:
        try:
            await self.redis.delete(keys.login_failures(account, address)[0])
        except UNAVAILABLE as exc:
            log.warning("could not clear the failed-login count (%s)", exc)
