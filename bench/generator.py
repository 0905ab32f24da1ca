"""A load-generator process: its share of the rooms' clients, driven by commands.

The parent (bench/fleet.py) sends one command at a time over a pipe and waits for the
answer. All clients of a room live in one process, so every latency is measured against a
send time on the same clock without any exchange between processes. Each process has a
hard deadline after which it exits on its own, so no run can outlive its bound.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import traceback
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import uvloop
from picows import ws_connect

from bench.client import BenchClient, Tally
from bench.latency import Recorder, RoomTrack, delivery
from bench.pacer import Pacer


@dataclass(frozen=True, slots=True)
class RoomSpec:
    room_id: str
    # (player id, token) of every member, in the order their slots are numbered.
    members: list[tuple[int, str]]


class Generator:
    def __init__(self, conn: Connection, ws_base: str, deadline: float) -> None:
        self.conn = conn
        self.ws_base = ws_base
        self.deadline = deadline
        self.recorder = Recorder()
        self.tally = Tally()
        self.rooms: dict[str, RoomTrack] = {}
        self.clients: list[BenchClient] = []
        self.pacer = Pacer(self.clients)
        self.rng = random.Random(os.getpid())
        self.window_messages = 0

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        watchdog = loop.call_at(loop.time() + max(0.0, self.deadline - time.monotonic()),
                                os._exit, 3)
        try:
            while True:
                try:
                    name, *args = await loop.run_in_executor(None, self.conn.recv)
                except EOFError:
                    return  # the parent is gone
                try:
                    answer = await getattr(self, f"do_{name}")(*args)
                    self.conn.send(("ok", answer))
                except Exception:
                    self.conn.send(("error", traceback.format_exc()))
                if name == "close":
                    return
        finally:
            watchdog.cancel()

    # commands ---------------------------------------------------------------------------

    async def do_join(self, rooms: list[RoomSpec], source: str | None, concurrency: int,
                      settle_s: float) -> dict[str, Any]:
        """Connect every member of the rooms, then wait until each sees all the others."""
        gate = asyncio.Semaphore(concurrency)
        connect_ms: list[float] = []
        join_ms: list[float] = []
        failures: Counter[str] = Counter()
        started = time.monotonic()
        tasks = []
        for spec in rooms:
            room = RoomTrack(spec.room_id, [pid for pid, _ in spec.members], self.recorder)
            self.rooms[spec.room_id] = room
            for slot, (player_id, token) in enumerate(spec.members):
                client = BenchClient(player_id, room.receiver(slot), self.tally)
                self.clients.append(client)
                tasks.append(self._connect(client, spec.room_id, token, source, gate,
                                           connect_ms, join_ms, failures))
        await asyncio.gather(*tasks)
        settled = await self._settle([self.rooms[s.room_id] for s in rooms], settle_s)
        self.pacer.add_new()
        return {"connect_ms": connect_ms, "join_ms": join_ms, "failures": dict(failures),
                "unsettled": len(rooms) - settled, "seconds": time.monotonic() - started,
                "alive": sum(c.alive for c in self.clients)}

    async def _connect(self, client: BenchClient, room_id: str, token: str,
                       source: str | None, gate: asyncio.Semaphore, connect_ms: list[float],
                       join_ms: list[float], failures: Counter[str]) -> None:
        async with gate:
            started = time.monotonic()
            try:
                await asyncio.wait_for(ws_connect(
                    lambda: client, self.ws_base + room_id,
                    extra_headers={"Authorization": f"Bearer {token}"},
                    local_addr=(source, 0) if source else None,
                    websocket_handshake_timeout=15), 20)
                connect_ms.append((time.monotonic() - started) * 1000)
                joined = await asyncio.wait_for(asyncio.shield(client.joined), 20)
                join_ms.append((joined - started) * 1000)
            except Exception as exc:  # refused, timed out, closed: all count as failures
                failures[(type(exc).__name__ + (f": {exc}" if str(exc) else ""))[:80]] += 1
                client.close()

    async def _settle(self, rooms: list[RoomTrack], timeout_s: float) -> int:
        """Rooms whose every live member was last told of every other live member."""
        deadline = time.monotonic() + timeout_s

        def settled(room: RoomTrack) -> bool:
            alive = sum(r.alive for r in room.receivers)
            return all(r.visible == alive for r in room.receivers if r.alive)

        await poll(lambda: all(settled(r) for r in rooms), deadline, 0.1)
        return sum(settled(r) for r in rooms)

    async def do_go(self, t0: float, t1: float, rate: float, ping_every_s: float,
                    drain_s: float) -> dict[str, Any]:
        """Move from t0 to t1 (both monotonic), then wait for the last moves to arrive."""
        self.pacer.stop()  # the keep-alive pings of the joining phase end here
        self.recorder.t0 = t0
        self.recorder.active = True
        await self.pacer.run(t0, t1, rate, ping_every_s)
        self.window_messages = self.tally.messages
        started = time.monotonic()
        receivers = [r for room in self.rooms.values() for r in room.receivers]
        caught_up = await poll(lambda: all(r.caught_up() for r in receivers if r.alive),
                               started + drain_s, 0.1)
        last = {room_id: {pid: (room.last[slot], room.receivers[slot].alive)
                          for slot, pid in enumerate(room.player_ids)}
                for room_id, room in self.rooms.items()}
        return {"drain_s": time.monotonic() - started, "caught_up": caught_up, "last": last,
                "moves_sent": self.pacer.moves, "moves_skipped": self.pacer.skipped}

    async def do_idle(self, ping_every_s: float, until: float) -> None:
        """Keep every socket alive with pings until `until`, in the background."""
        self.pacer.start_background(ping_every_s, until)

    async def do_probe(self, sample: int, rounds: int, spread_s: float) -> dict[str, Any]:
        """Ping RTTs of a random sample of live sockets, the pings spread over a window."""
        alive = [c for c in self.clients if c.alive]
        chosen = self.rng.sample(alive, min(sample, len(alive)))
        rtts: array[float] = array("f")
        loop = asyncio.get_running_loop()
        for _ in range(rounds):
            for client in chosen:
                loop.call_later(self.rng.random() * spread_s, client.ping, rtts)
            await asyncio.sleep(spread_s)
        # A pong still owed a second after the last ping went out counts as unanswered.
        expected = rounds * len(chosen)
        await poll(lambda: len(rtts) >= expected, time.monotonic() + 1.0, 0.02)
        return {"rtts": list(rtts), "unanswered": expected - len(rtts)}

    async def do_counts(self) -> dict[str, Any]:
        return {"alive": sum(c.alive for c in self.clients), "messages": self.tally.messages,
                "unexpected_closes": dict(self.tally.unexpected_closes),
                "errors": self.tally.by_type["error"]}

    async def do_result(self) -> dict[str, Any]:
        sent = lost = lost_closed = behind = members = 0
        for room in self.rooms.values():
            counted = delivery(room)
            sent, lost = sent + counted.sent, lost + counted.lost
            lost_closed += counted.lost_closed
            behind, members = behind + counted.behind, members + counted.members
        tally = self.tally
        latency = [np.frombuffer(self.recorder.latency_ms, dtype=np.float32)]
        at = [np.frombuffer(self.recorder.at, dtype=np.float32)]
        for room in self.rooms.values():
            more_latency, more_at = room.expand()
            latency.append(more_latency)
            at.append(more_at)
        resyncs = sum(r.resyncs for room in self.rooms.values() for r in room.receivers)
        return {"latency_ms": np.concatenate(latency).tobytes(),
                "at": np.concatenate(at).tobytes(), "out_of_step": resyncs,
                "moves_sent": sent, "moves_lost": lost, "moves_lost_closed": lost_closed,
                "behind_pairs": behind, "members_at_end": members, "messages": tally.messages,
                "window_messages": self.window_messages,
                "by_type": {"state": tally.states, **tally.by_type},
                "errors": tally.errors, "unexpected_closes": dict(tally.unexpected_closes),
                "first_unexpected_close_s": None if tally.first_unexpected_close is None
                else tally.first_unexpected_close - self.recorder.t0,
                "ping_rtt_ms": list(tally.ping_rtt_ms),
                "alive": sum(c.alive for c in self.clients), "clients": len(self.clients)}

    async def do_close(self, timeout_s: float) -> int:
        self.pacer.stop()
        for client in self.clients:
            client.close()
        await poll(lambda: all(c.transport is None or c.transport.is_disconnected
                               for c in self.clients), time.monotonic() + timeout_s, 0.05)
        return sum(c.alive for c in self.clients)


async def poll(done: Callable[[], bool], deadline: float, every_s: float) -> bool:
    """Wait until `done()` or the deadline; False if the deadline came first.

    Polling, because what is awaited is changed by picows callbacks, one per frame, where
    setting an event for every waiter would cost more than looking ten times a second.
    """
    while True:
        if done():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(every_s)


def main(conn: Connection, ws_base: str, deadline: float) -> None:
    """Entry point of a generator process (started with the spawn method)."""
    uvloop.run(Generator(conn, ws_base, deadline).serve())
