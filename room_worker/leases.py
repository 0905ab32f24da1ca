"""Room leases with fencing: at most one worker applies a room's events at any moment.

A lease is the key `room:{id}:lease` holding `worker_id:fence` with a TTL. Every grant bumps
the room's fence counter, so a worker that lost its lease (paused, cut off) carries a stale
token, and every write it then tries is refused by the commit script, which checks the token
in the same atomic step as the write.
"""

from __future__ import annotations

import redis.asyncio as redis

from common import keys

# KEYS: lease, fence, events, applied, roster. ARGV: worker id, ttl ms, consumer group.
_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
local token = ARGV[1] .. ':' .. fence
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
redis.pcall('XGROUP', 'CREATE', KEYS[3], ARGV[3], '0', 'MKSTREAM')
for i = 2, 5 do redis.call('PERSIST', KEYS[i]) end
return token
"""

_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""

# An empty room gives up its lease and lets its history expire unless someone rejoins.
# KEYS: lease, fence, events, applied, roster. ARGV: token, retention s.
_RETIRE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, 5 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
return 1
"""


def _room_keys(room_id: str) -> list[str]:
    return [keys.lease(room_id), keys.fence(room_id), keys.events(room_id),
            keys.applied(room_id), keys.roster(room_id)]


class Leases:
    def __init__(self, client: redis.Redis, worker_id: str, ttl_ms: int) -> None:
        self.redis = client
        self.worker_id = worker_id
        self.ttl_ms = ttl_ms
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._retire = client.register_script(_RETIRE)

    async def acquire(self, room_id: str) -> str | None:
        """Take the room if nobody holds it; returns the fencing token, or None."""
        token = await self._acquire(
            keys=_room_keys(room_id), args=[self.worker_id, self.ttl_ms, keys.WORKER_GROUP]
        )
        return str(token) if token else None

    async def renew(self, tokens: dict[str, str]) -> set[str]:
        """Extend every held lease in one round trip; returns the rooms whose lease is lost."""
        if not tokens:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            for room_id, token in tokens.items():
                await self._renew(keys=[keys.lease(room_id)], args=[token, self.ttl_ms],
                                  client=pipe)
            results = await pipe.execute()
        return {room_id for room_id, ok in zip(tokens, results, strict=True) if not ok}

    async def release(self, room_id: str, token: str) -> bool:
        return bool(await self._release(keys=[keys.lease(room_id)], args=[token]))

    async def retire(self, room_id: str, token: str, retention_s: int) -> bool:
        return bool(await self._retire(keys=_room_keys(room_id), args=[token, retention_s]))
