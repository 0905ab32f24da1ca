"""Sends every client's moves and pings on its own schedule, from one task.

Each client gets a random phase so the sends of a process are spread evenly instead of
arriving in bursts; a heap orders the next due sends. A timer or task per client would
cost more than the sends themselves at ten thousand moves a second.

When the process falls behind (it is busy reading), a move more than LATE_S late is
skipped and counted rather than sent in a burst: a burst would trip the server's frame
rate limit and measure the generator instead of the server.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time

from bench.client import BenchClient

LATE_S = 0.5
# A send this close to its time goes now: the event loop's timers have a resolution of a
# millisecond, so sleeping for less would wake at once and spin until the time came.
EARLY_S = 0.002
MOVE, PING = 0, 1
# Sends between two yields to the event loop, so reading is never starved.
BATCH = 256


class Pacer:
    def __init__(self, clients: list[BenchClient]) -> None:
        self.clients = clients
        self.heap: list[tuple[float, int, int]] = []
        self.moves = 0
        self.skipped = 0
        self.pings = 0
        self._scheduled = 0
        self._rate = 0.0
        self._ping_every = 0.0
        self._task: asyncio.Task[None] | None = None
        self._rng = random.Random()

    def _schedule(self, start: float) -> None:
        """Put clients not yet on the heap onto it, each with a random phase."""
        for index in range(self._scheduled, len(self.clients)):
            if self._rate > 0:
                self.heap.append((start + self._rng.random() / self._rate, index, MOVE))
            if self._ping_every > 0:
                self.heap.append((start + self._rng.random() * self._ping_every, index, PING))
        self._scheduled = len(self.clients)
        heapq.heapify(self.heap)

    def add_new(self) -> None:
        """Schedule clients added since the last call, if a background run is going."""
        if self._task is not None and not self._task.done():
            self._schedule(time.monotonic())

    async def run(self, t0: float, t1: float, rate: float, ping_every_s: float) -> None:
        self._rate, self._ping_every = rate, ping_every_s
        self.heap.clear()
        self._scheduled = 0
        self._schedule(t0)
        heap = self.heap
        clients = self.clients
        interval = 1 / rate if rate > 0 else 0.0
        sent = 0
        while True:
            now = time.monotonic()
            if now >= t1:
                break
            if not heap:  # a background run waits for clients to be added
                await asyncio.sleep(min(0.5, t1 - now))
                continue
            due, index, kind = heap[0]
            if due > now + EARLY_S:
                await asyncio.sleep(min(due, t1, now + 0.5) - now)
                continue
            client = clients[index]
            if kind == MOVE:
                if due < now - LATE_S:
                    self.skipped += 1
                    heapq.heapreplace(heap, (now + interval, index, kind))
                    continue
                if client.move():
                    self.moves += 1
                heapq.heapreplace(heap, (due + interval, index, kind))
            else:
                if client.ping():
                    self.pings += 1
                heapq.heapreplace(heap, (max(due, now - LATE_S) + ping_every_s, index, kind))
            sent += 1
            if sent % BATCH == 0:
                await asyncio.sleep(0)

    def start_background(self, ping_every_s: float, until: float) -> None:
        """Ping every client every `ping_every_s` until `until`, without moves."""
        self.stop()
        self._task = asyncio.create_task(self.run(time.monotonic(), until, 0.0, ping_every_s))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
