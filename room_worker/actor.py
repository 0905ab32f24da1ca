"""The actor loop: the one task that reads owned rooms' streams and applies their events.

Everything that changes which rooms this worker holds (taking one, handing one over, giving
up an empty one) also runs here, between two reads. So no blocking read is ever in flight
for a room this worker is about to give up, and entries are applied by one owner, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, cast

import redis.asyncio as redis
from redis.exceptions import ResponseError

from common import keys, metrics
from common.backoff import Backoff, wait_event
from common.bus import Bus, Entries
from common.config import Settings
from common.events import entry_key
from common.redis_client import UNAVAILABLE
from room_worker import batches
from room_worker.leases import Leases
from room_worker.rules import Player
from room_worker.store import RoomStore

log = logging.getLogger(__name__)

# A read must end this long before the lease it relies on could expire.
LEASE_MARGIN_S = 0.25
# A read returning at least this many entries means the worker is busy: it then paces its
# reads to BROADCAST_INTERVAL_MS.
BUSY_READ_ENTRIES = 32

Order = Literal["acquire", "release", "drop", "retire"]


@dataclass(slots=True)
class OwnedRoom:
    room_id: str
    token: str
    players: dict[int, Player]
    applied_id: str
    # Monotonic time until which the lease surely holds: renewal send time plus the TTL.
    lease_until: float
    empty_since: float | None = None
    # Entries applied since the last checkpoint was written, and the checkpoints written
    # since this worker took the room, oldest first.
    since_checkpoint: int = 0
    checkpoints: deque[str] = field(default_factory=deque)
    # Kicks already asked for, as (socket, close code, last seen ms), so none is asked twice.
    kicks_requested: set[tuple[str, int, int]] = field(default_factory=set)


class Actor:
    def __init__(
        self, settings: Settings, worker_id: str, client: redis.Redis, reader: redis.Redis
    ) -> None:
        self.settings = settings
        self.worker_id = worker_id
        self.redis = client
        self.reader_bus = Bus(reader, settings.stream_hard_maxlen)
        self.leases = Leases(client, worker_id, settings.lease_ttl_ms)
        self.store = RoomStore(client)
        self.rooms: dict[str, OwnedRoom] = {}
        self.orders: deque[tuple[Order, str]] = deque()
        self.orders_ready = asyncio.Event()
        self.stopping = False
        self._reader = reader
        self._reader_id: int | None = None
        self._read_started = 0.0
        self.broadcast_interval_s = settings.broadcast_interval_ms / 1000

    def order(self, kind: Order, room_id: str) -> None:
        """Queue a change of ownership; it runs between two reads."""
        self.orders.append((kind, room_id))
        self.orders_ready.set()

    async def interrupt(self) -> None:
        """End the reader's blocking read now so queued orders run without delay."""
        if self._reader_id is not None:
            # If this fails, the read still ends by itself within stream_block_ms.
            with contextlib.suppress(*UNAVAILABLE):
                await self.redis.client_unblock(self._reader_id)

    async def run(self) -> None:
        """Read and apply until `stopping` is set, then release every room still held."""
        backoff = Backoff(self.settings.redis_retry_max_s)
        while not self.stopping:
            try:
                await self._run_orders()
                await self._read_once()
                backoff.reset()
            except UNAVAILABLE as exc:
                self._reader_id = None
                delay = backoff.next_delay()
                log.warning("redis unavailable in the actor loop (%s); retrying in %.1f s",
                            exc, delay)
                await asyncio.sleep(delay)
            except ResponseError as exc:
                # NOGROUP before a read, UNBLOCKED during one: a stream was deleted under us
                # (by hand, expired, or Redis restarted empty). Recreate what the next read
                # needs; the entries of a deleted stream are gone with it.
                if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                    raise
                log.warning("a room stream or its consumer group vanished (%s); recreating",
                            exc)
                await self._ensure_groups()
        await self._release_all()

    async def _ensure_groups(self) -> None:
        for room_id in list(self.rooms):
            with contextlib.suppress(ResponseError):
                await self.redis.xgroup_create(keys.events(room_id), keys.WORKER_GROUP, "0",
                                               mkstream=True)

    async def _release_all(self) -> None:
        for room in list(self.rooms.values()):
            try:
                await self._release(room)
            except UNAVAILABLE as exc:
                log.warning("room %s: lease not released (%s); it expires within %d ms",
                            room.room_id, exc, self.settings.lease_ttl_ms)

    async def _read_once(self) -> None:
        if self.stopping:
            return
        block_s = self.settings.stream_block_ms / 1000
        deadline = time.monotonic() + block_s + LEASE_MARGIN_S
        readable = [r.room_id for r in self.rooms.values() if r.lease_until > deadline]
        if not readable:
            self.orders_ready.clear()
            await wait_event(self.orders_ready, block_s)
            return

        if self._reader_id is None:
            self._reader_id = await self._reader.client_id()
        self._read_started = time.monotonic()
        read = await self.reader_bus.read_rooms(
            self.worker_id, readable, self.settings.stream_read_count,
            self.settings.stream_block_ms,
        )
        work = [(self.rooms[room_id], entries) for room_id, entries in read.items()
                if room_id in self.rooms]
        if not work:
            return
        await self._apply_many(work)
        # Busy: let the next moves gather for a moment, so that each room sends one state per
        # interval rather than one per move. After a light read (a quiet system) the next
        # read follows at once and answers the first new entry without delay.
        if sum(len(entries) for _, entries in work) >= BUSY_READ_ENTRIES:
            pause_s = self._read_started + self.broadcast_interval_s - time.monotonic()
            if pause_s > 0:
                await asyncio.sleep(pause_s)

    async def _run_orders(self) -> None:
        if self.orders:
            try:
                await self._run_queued_orders()
            finally:
                metrics.ROOMS_OWNED.set(len(self.rooms))

    async def _run_queued_orders(self) -> None:
        while self.orders:
            kind, room_id = self.orders.popleft()
            room = self.rooms.get(room_id)
            if kind == "acquire" and room is None and not self.stopping:
                await self._acquire(room_id)
            elif kind == "release" and room is not None:
                await self._release(room)
            elif kind == "drop" and room is not None:
                del self.rooms[room_id]
                metrics.OWNERSHIP.labels("lost").inc()
                log.warning("room %s: lease lost (token %s); stopped applying its events",
                            room_id, room.token)
            elif kind == "retire" and room is not None and not room.players:
                await self._retire(room)

    async def _acquire(self, room_id: str) -> None:
        started = time.monotonic()
        token = await self.leases.acquire(room_id)
        if token is None:
            return
        now_ms = await self._redis_ms()
        players, applied_id = await self.store.load(room_id, now_ms)
        room = OwnedRoom(room_id, token, players, applied_id,
                         lease_until=started + self.settings.lease_ttl_ms / 1000)
        self.rooms[room_id] = room
        metrics.OWNERSHIP.labels("acquired").inc()

        claimed = await self._claim_pending(room)
        log.info("room %s acquired with token %s: %d players, %d pending entries taken over, "
                 "%.1f ms", room_id, token, len(room.players), claimed,
                 (time.monotonic() - started) * 1000)

    async def _claim_pending(self, room: OwnedRoom) -> int:
        """Take over every entry read but not acknowledged by anyone, and apply it in order."""
        stream = keys.events(room.room_id)
        cursor, claimed = "0-0", 0
        while room.room_id in self.rooms:
            reply = await self.redis.xautoclaim(
                stream, keys.WORKER_GROUP, self.worker_id, min_idle_time=0,
                start_id=cursor, count=self.settings.stream_read_count,
            )
            cursor, entries = reply[0], reply[1]
            if entries:
                claimed += len(entries)
                await self._apply(room, entries)
            if cursor == "0-0":
                break
        return claimed

    async def _release(self, room: OwnedRoom) -> None:
        del self.rooms[room.room_id]
        released = await self.leases.release(room.room_id, room.token)
        metrics.OWNERSHIP.labels("released").inc()
        log.info("room %s handed over (token %s, %s)", room.room_id, room.token,
                 "released" if released else "lease already gone")

    async def _retire(self, room: OwnedRoom) -> None:
        """Give up an empty room; take it back at once if a join raced with the retirement."""
        del self.rooms[room.room_id]
        await self.leases.retire(room.room_id, room.token, self.settings.room_retention_s)
        metrics.OWNERSHIP.labels("retired").inc()
        await self.redis.zrem(keys.ACTIVE_ROOMS, room.room_id)

        newest = cast(Entries, await self.redis.xrevrange(keys.events(room.room_id), count=1))
        if newest and entry_key(newest[0][0]) > entry_key(room.applied_id):
            await self.redis.zadd(keys.ACTIVE_ROOMS, {room.room_id: int(time.time() * 1000)})
            await self.redis.publish(keys.WORKERS_WAKE, room.room_id)
        log.info("room %s retired: empty, history kept for %d s", room.room_id,
                 self.settings.room_retention_s)

    async def _apply(self, room: OwnedRoom, entries: Entries) -> None:
        """Apply a batch of one room's entries and commit its effects with the acks."""
        await self._apply_many([(room, entries)])

    async def _apply_many(self, work: list[tuple[OwnedRoom, Entries]]) -> None:
        """Apply each room's batch and commit them all in one round trip to Redis."""
        started = time.monotonic()
        prepared = [
            (room, batches.prepare(room.room_id, room.players, room.applied_id,
                                   room.since_checkpoint, entries,
                                   self.settings.checkpoint_every))
            for room, entries in work
        ]
        results = await self.store.commit_many(
            [(room.room_id, room.token, p.batch) for room, p in prepared])
        for (room, p), written in zip(prepared, results, strict=True):
            await self._finish(room, p, written, started)
        metrics.BATCH_SECONDS.observe(time.monotonic() - started)

    async def _finish(self, room: OwnedRoom, prepared: batches.Prepared, written: str | None,
                      started: float) -> None:
        batch = prepared.batch
        if written is None:
            self.rooms.pop(room.room_id, None)
            log.warning("room %s: commit refused, token %s no longer holds the lease; "
                        "%d entries left for the new owner", room.room_id, room.token,
                        len(batch.acked))
            return

        room.players = batch.outcome.players
        room.applied_id = batch.last_id
        room.since_checkpoint = prepared.since_checkpoint
        if written:
            await self._trim(room, written)
        metrics.EVENTS_APPLIED.inc(prepared.events)
        room.empty_since = None if room.players else (room.empty_since or time.monotonic())
        log.debug("room %s: applied %d entries up to %s in %.2f ms", room.room_id,
                  prepared.events, batch.last_id, (time.monotonic() - started) * 1000)

    async def _trim(self, room: OwnedRoom, checkpoint_id: str) -> None:
        """Keep about STREAM_MAXLEN entries: trim before the oldest checkpoint still wanted.

        Every entry before a checkpoint that is several checkpoints old has been applied,
        so trimming there never loses an unread entry, and replay finds that checkpoint at
        the head of what remains.
        """
        room.checkpoints.append(checkpoint_id)
        keep = max(2, self.settings.stream_maxlen // self.settings.checkpoint_every)
        if len(room.checkpoints) > keep:
            await self.store.trim(room.room_id, room.checkpoints.popleft())

    async def _redis_ms(self) -> int:
        seconds, micros = await self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000
