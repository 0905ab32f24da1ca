"""The stream bus: the only module that reads or writes room streams and presence sets.

Edges push events into a room's stream; workers read many rooms' streams in one blocking
call. That call names keys of several rooms, which a Redis Cluster refuses (CROSSSLOT), so it
lives here alone: a cluster deployment replaces `read_rooms` with one read per shard and
nothing else changes.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import redis.asyncio as redis

from common import keys
from common.events import entry_ms

# XADD the join and make sure a room retired earlier (its keys set to expire) is kept.
_PUSH_JOIN = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 2))
redis.call('PERSIST', KEYS[1])
return id
"""

# Announce a process as alive until now + ttl, on the Redis clock so hosts need not agree.
# Returns {now_ms, 1 if Redis did not know it as alive (new, expired, or Redis lost data)}.
_ANNOUNCE = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[1])
local revived = 0
if not until_ms or tonumber(until_ms) < now_ms then revived = 1 end
return {now_ms, revived}
"""

Entries = list[tuple[str, dict[str, str]]]


class Bus:
    def __init__(self, client: redis.Redis, hard_maxlen: int) -> None:
        self.redis = client
        # Only a memory guard: owners trim their rooms' applied history (see the actor).
        self.hard_maxlen = hard_maxlen
        self._queued: list[tuple[str, dict[str, str], asyncio.Future[str]]] = []
        self._flushing: set[asyncio.Task[None]] = set()
        self._push_join = client.register_script(_PUSH_JOIN)
        self._announce = client.register_script(_ANNOUNCE)

    async def push(self, room_id: str, fields: dict[str, str]) -> str:
        """Append one event to the room's stream; returns its entry id.

        Pushes made in the same turn of the event loop (many sockets' frames read at once)
        go to Redis together in one pipeline: one round trip instead of one each.
        """
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queued.append((room_id, fields, future))
        if len(self._queued) == 1:
            asyncio.get_running_loop().call_soon(self._flush_soon)
        return await future

    def _flush_soon(self) -> None:
        queued, self._queued = self._queued, []
        task = asyncio.get_running_loop().create_task(self._flush(queued))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _flush(self, queued: list[tuple[str, dict[str, str], asyncio.Future[str]]]
                     ) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for room_id, fields, _ in queued:
                    pipe.xadd(keys.events(room_id), cast(Any, fields),
                              maxlen=self.hard_maxlen, approximate=True)
                results = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # every waiter gets the failure, as a lone XADD would
            for _, _, future in queued:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), result in zip(queued, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(str(result))

    async def push_join(self, room_id: str, fields: dict[str, str]) -> str:
        """Append a join and flag the room as needing an owner, then wake the workers."""
        flat = [item for pair in fields.items() for item in pair]
        entry_id: str = await self._push_join(
            keys=[keys.events(room_id)], args=[self.hard_maxlen, *flat]
        )
        # After the XADD, so a worker retiring the room either sees this entry or this ZADD.
        await self.redis.zadd(keys.ACTIVE_ROOMS, {room_id: entry_ms(entry_id)})
        await self.redis.publish(keys.WORKERS_WAKE, room_id)
        return entry_id

    async def announce(self, presence_key: str, member: str, ttl_ms: int) -> tuple[int, bool]:
        """Mark an edge or worker alive for `ttl_ms`.

        Returns Redis's time in ms, and whether Redis held it for dead or unknown until now:
        then whatever it had recorded may be gone and must be told again.
        """
        now_ms, revived = await self._announce(keys=[presence_key], args=[member, ttl_ms])
        return int(now_ms), bool(revived)

    async def presence(self, presence_key: str, now_ms: int, forget_after_ms: int) -> dict[
            str, int]:
        """Every announced member with the ms its presence expires; members expired for
        longer than `forget_after_ms` are dropped from the set for good."""
        await self.redis.zremrangebyscore(presence_key, "-inf", now_ms - forget_after_ms)
        rows = cast(list[tuple[str, float]],
                    await self.redis.zrange(presence_key, 0, -1, withscores=True))
        return {str(member): int(score) for member, score in rows}

    async def active_rooms(self) -> list[str]:
        """Rooms that had a join pushed and were not retired since: they need an owner."""
        return [str(room_id) for room_id in await self.redis.zrange(keys.ACTIVE_ROOMS, 0, -1)]

    async def read_rooms(
        self, consumer: str, room_ids: list[str], count: int, block_ms: int
    ) -> dict[str, Entries]:
        """New entries of the given rooms for this consumer, blocking up to `block_ms`."""
        streams: dict[Any, Any] = {keys.events(room_id): ">" for room_id in room_ids}
        reply = await self.redis.xreadgroup(
            keys.WORKER_GROUP, consumer, streams, count=count, block=block_ms
        )
        rows = cast(list[tuple[str, Entries]], reply or [])
        return {keys.room_id_from_events(key): entries for key, entries in rows}
