"""The ownership round: announce this worker, renew its leases, and decide which rooms to
take or hand over.

It only decides; the actor carries the decisions out between two reads. A round runs every
OWNERSHIP_TICK_MS and at once when an edge or a stopping worker publishes a wake-up.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as redis

from common import keys
from common.backoff import Backoff, wait_event
from common.bus import Bus
from common.config import Settings
from common.redis_client import UNAVAILABLE
from room_worker.actor import Actor
from room_worker.placement import preferred_owner
from room_worker.sweeper import Sweeper

log = logging.getLogger(__name__)

# Expired presence entries are kept this long (so a dead edge is recognised as dead), then
# dropped: ids are unique per process start, and the set must not grow for ever.
FORGET_DEAD_AFTER_MS = 3_600_000


class Ownership:
    def __init__(
        self, settings: Settings, actor: Actor, sweeper: Sweeper, client: redis.Redis
    ) -> None:
        self.settings = settings
        self.actor = actor
        self.sweeper = sweeper
        self.worker_id = actor.worker_id
        self.redis = client
        self.bus = Bus(client, settings.stream_hard_maxlen)
        self.wake = asyncio.Event()
        # When each peer was first seen alive: a room is handed to a newcomer only once the
        # newcomer has stayed up for a whole lease, so a flapping worker moves no rooms.
        self._first_seen: dict[str, float] = {}
        self.redis_ok_since = time.monotonic()
        # Set by a stopping worker: no further round may announce it alive.
        self.closing = False

    async def run(self) -> None:
        backoff = Backoff(self.settings.redis_retry_max_s)
        tick_s = self.settings.ownership_tick_ms / 1000
        while not (self.closing or self.actor.stopping):
            # Cleared before the round, so a wake-up that arrives during it starts the next
            # round at once instead of being lost.
            self.wake.clear()
            try:
                await self.round()
                backoff.reset()
                delay = tick_s
            except UNAVAILABLE as exc:
                self.redis_ok_since = float("inf")
                delay = backoff.next_delay()
                log.warning("redis unavailable in the ownership round (%s); retrying in %.1f s",
                            exc, delay)
            await wait_event(self.wake, delay)

    async def round(self) -> None:
        sent = time.monotonic()
        if self.closing:
            return
        now_ms, _ = await self.bus.announce(
            keys.LIVE_WORKERS, self.worker_id, self.settings.lease_ttl_ms
        )
        if self.redis_ok_since == float("inf"):
            self.redis_ok_since = sent
        await self._renew(sent)

        # Reading presence also forgets long-dead ids, so neither set grows with restarts.
        presence = await self.bus.presence(keys.LIVE_WORKERS, now_ms, FORGET_DEAD_AFTER_MS)
        workers = {worker for worker, until_ms in presence.items() if until_ms >= now_ms}
        # Right after this worker itself lost Redis, edges could not announce either and
        # are very likely alive: judge them only once they have had a full TTL to return.
        if sent - self.redis_ok_since >= self.settings.edge_ttl_ms / 1000:
            edges = await self.bus.presence(keys.LIVE_EDGES, now_ms, FORGET_DEAD_AFTER_MS)
            await self.sweeper.sweep_dead_edges(edges, now_ms)

        active = await self.bus.active_rooms()
        stable = self._stable(workers, sent)

        ordered = False
        for room_id in active:
            owner = preferred_owner(room_id, workers)
            if room_id in self.actor.rooms:
                if owner != self.worker_id and owner in stable:
                    self.actor.order("release", room_id)
                    ordered = True
            elif owner == self.worker_id:
                self.actor.order("acquire", room_id)
                ordered = True
        if ordered:
            await self.actor.interrupt()

    async def _renew(self, sent: float) -> None:
        tokens = {room_id: room.token for room_id, room in self.actor.rooms.items()}
        lost = await self.actor.leases.renew(tokens)
        lease_until = sent + self.settings.lease_ttl_ms / 1000
        for room_id, token in tokens.items():
            room = self.actor.rooms.get(room_id)
            if room is None or room.token != token:
                continue
            if room_id in lost:
                self.actor.order("drop", room_id)
            else:
                room.lease_until = lease_until

    def _stable(self, workers: set[str], now: float) -> set[str]:
        for worker in workers:
            self._first_seen.setdefault(worker, now)
        for gone in self._first_seen.keys() - workers:
            del self._first_seen[gone]
        settle_s = self.settings.lease_ttl_ms / 1000
        return {w for w, seen in self._first_seen.items() if now - seen >= settle_s}

    async def leave(self) -> None:
        """Stop being a candidate owner, so peers pick other workers for every room."""
        await self.redis.zrem(keys.LIVE_WORKERS, self.worker_id)

    async def listen_for_wakes(self) -> None:
        """Run a round as soon as an edge pushes a join or a worker hands rooms over."""
        backoff = Backoff(self.settings.redis_retry_max_s)
        while not (self.closing or self.actor.stopping):
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(keys.WORKERS_WAKE)
                    backoff.reset()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self.wake.set()
            except UNAVAILABLE as exc:
                delay = backoff.next_delay()
                log.warning("redis unavailable for wake-ups (%s); retrying in %.1f s",
                            exc, delay)
                await asyncio.sleep(delay)
