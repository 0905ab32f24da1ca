"""Failed-login throttling, counted in Redis so every auth process agrees.

Each failed login counts against the account name and against the client address, in a
window of LOGIN_WINDOW_S seconds. Past LOGIN_MAX_FAILURES for the account, or
LOGIN_MAX_FAILURES_PER_ADDRESS for the address, logins are refused with 429 until the window
ends, before any password is checked. A successful login clears the account's count. If
Redis is unreachable the throttle lets logins through and says so in the log: an outage of
the counter must not lock every player out.
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
        self.max_account = settings.login_max_failures
        self.max_address = settings.login_max_failures_per_address
        self._fail = client.register_script(_FAIL)

    async def retry_after(self, account: str, address: str) -> int:
        """Seconds until this account and address may try again; 0 if they may now."""
        account_key, address_key = keys.login_failures(account, address)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.get(account_key)
                pipe.ttl(account_key)
                pipe.get(address_key)
                pipe.ttl(address_key)
                account_count, account_ttl, address_count, address_ttl = await pipe.execute()
        except UNAVAILABLE as exc:
            log.warning("login throttle unavailable (%s); letting the attempt through", exc)
            return 0
        waits = []
        if int(account_count or 0) >= self.max_account:
            waits.append(max(1, account_ttl))
        if int(address_count or 0) >= self.max_address:
            waits.append(max(1, address_ttl))
        return max(waits, default=0)

    async def failed(self, account: str, address: str) -> None:
        try:
            await self._fail(keys=list(keys.login_failures(account, address)),
                             args=[self.window_s])
        except UNAVAILABLE as exc:
            log.warning("could not count a failed login (%s)", exc)

    async def succeeded(self, account: str) -> None:
        try:
            await self.redis.delete(keys.login_failures(account, "")[0])
        except UNAVAILABLE as exc:
            log.warning("could not clear the failed-login count (%s)", exc)
