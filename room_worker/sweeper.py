"""Liveness sweeps: remove players who went silent and players whose edge died.

A sweep never changes a room directly. It appends a `kick` entry to the room's stream, and
the kick is applied like any other event, in order, by whoever owns the room by then. So the
replay tool sees every removal, and a player who spoke after the sweep looked is spared.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import ResponseError

from common import closecodes, keys, metrics
from common.backoff import Backoff
from common.bus import Bus
from common.config import Settings
from common.events import fields_kick
from common.redis_client import UNAVAILABLE
from room_worker.actor import Actor, OwnedRoom
from room_worker.rules import Player, players_on_dead_edges, silent_players

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, settings: Settings, actor: Actor) -> None:
        self.settings = settings
        self.actor = actor
        self.closing = False
        self.edge_ttl_s = settings.edge_ttl_ms / 1000
        # Edges that players were on but that were absent from the presence set, and since
        # when (monotonic seconds).
        self._missing_since: dict[str, float] = {}
        self.bus = Bus(actor.redis, settings.stream_hard_maxlen)

    async def run_silence_sweeps(self) -> None:
        """Every HEARTBEAT_SCAN_S: kick silent players and retire rooms left empty."""
        backoff = Backoff(self.settings.redis_retry_max_s)
        while not (self.closing or self.actor.stopping):
            delay = self.settings.heartbeat_scan_s
            try:
                await self.sweep_silent()
                backoff.reset()
            except UNAVAILABLE as exc:
                delay = backoff.next_delay()
                log.warning("redis unavailable for the heartbeat sweep (%s); retrying in "
                            "%.1f s", exc, delay)
            await asyncio.sleep(delay)

    async def sweep_silent(self) -> None:
        seconds, micros = await self.actor.redis.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        timeout_ms = int(self.settings.heartbeat_timeout_s * 1000)
        empty_for_s = self.settings.heartbeat_scan_s

        total_lag = total_pending = 0
        for room in list(self.actor.rooms.values()):
            for player in silent_players(room.players.values(), now_ms, timeout_ms):
                silent_s = (now_ms - player.seen_ms) / 1000
                await self._kick(room, player, "heartbeat timeout",
                                 closecodes.HEARTBEAT_TIMEOUT,
                                 f"silent for {silent_s:.1f} s")
            lag, pending = await self._backlog(room.room_id)
            total_lag += lag
            total_pending += pending
            idle = room.empty_since is not None
            if idle and time.monotonic() - (room.empty_since or 0) >= empty_for_s:
                self.actor.order("retire", room.room_id)
        metrics.STREAM_LAG.set(total_lag)
        metrics.STREAM_PENDING.set(total_pending)
        await self.actor.interrupt()

    async def _backlog(self, room_id: str) -> tuple[int, int]:
        """Entries of the room not read yet, and read but not acknowledged."""
        try:
            groups = await self.actor.redis.xinfo_groups(keys.events(room_id))
        except ResponseError:
            return 0, 0  # the stream is gone; the actor notices on its next read
        for group in groups:
            if group["name"] == keys.WORKER_GROUP:
                return int(group.get("lag") or 0), int(group["pending"])
        return 0, 0

    async def sweep_dead_edges(self, presence: dict[str, int], now_ms: int) -> None:
        """Kick the players of edges that stopped announcing themselves.

        An edge whose announcement expired is dead. One missing from the set altogether
        (Redis lost its data) may be alive and about to announce again, so it counts as
        dead only after missing for a whole EDGE_TTL_MS.
        """
        edges = {p.edge for room in self.actor.rooms.values() for p in room.players.values()}
        now = time.monotonic()
        for edge in list(self._missing_since):
            if edge in presence or edge not in edges:
                del self._missing_since[edge]
        dead = set()
        for edge in edges:
            if edge in presence:
                if presence[edge] < now_ms:
                    dead.add(edge)
            elif now - self._missing_since.setdefault(edge, now) >= self.edge_ttl_s:
                dead.add(edge)

        live = edges - dead
        for room in list(self.actor.rooms.values()):
            for player in players_on_dead_edges(room.players.values(), live):
                await self._kick(room, player, "edge lost", closecodes.EDGE_LOST,
                                 f"edge {player.edge or '?'} stopped announcing itself")

    async def _kick(self, room: OwnedRoom, player: Player, reason: str, code: int,
                    detail: str) -> None:
        request = (player.conn, code, player.seen_ms)
        if request in room.kicks_requested:
            return
        conns = {p.conn for p in room.players.values()}
        room.kicks_requested = {r for r in room.kicks_requested if r[0] in conns}
        room.kicks_requested.add(request)

        fields = fields_kick(player.player_id, player.conn, player.edge, reason, code,
                             player.seen_ms)
        entry_id = await self.bus.push(room.room_id, fields)
        metrics.KICKS.labels(reason).inc()
        log.info("room %s: kick of player %d requested as entry %s (%s, %s)",
                 room.room_id, player.player_id, entry_id, reason, detail)
