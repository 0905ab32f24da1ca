"""Fixtures for driving real room workers in-process against the test Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from common import envelope, events, keys
from common.bus import Bus
from common.config import Settings
from room_worker.worker import Worker
from tests.conftest import make_settings

EDGE = "edge-test"


def fast_settings(**overrides: object) -> Settings:
    """Timings shrunk so that leases, sweeps and timeouts play out within a second or two."""
    values: dict[str, object] = {
        "lease_ttl_ms": 800, "ownership_tick_ms": 100, "stream_block_ms": 300,
        "heartbeat_timeout_s": 1.5, "heartbeat_scan_s": 0.3,
        "edge_ttl_ms": 1000, "edge_announce_ms": 200, "redis_retry_max_s": 0.5,
    }
    values.update(overrides)
    return make_settings(**values)


@dataclass
class EdgeProbe:
    """Stands in for an edge: announces itself and records what workers publish to it."""

    edge_id: str
    envelopes: list[envelope.Envelope] = field(default_factory=list)

    def broadcasts(self, room_id: str, kind: str) -> list[str]:
        return [text for env in self.envelopes if env.room_id == room_id
                for text in env.broadcasts if f'"type":"{kind}"' in text]

    def closes(self, room_id: str) -> list[envelope.CloseOrder]:
        return [c for env in self.envelopes if env.room_id == room_id for c in env.closes]


class Rooms:
    """Pushes events as an edge would and waits for workers to apply them."""

    def __init__(self, client: aioredis.Redis, settings: Settings) -> None:
        self.redis = client
        self.bus = Bus(client, settings.stream_maxlen)

    async def join(self, room_id: str, player_id: int, conn: str, edge: str = EDGE) -> str:
        fields = events.fields_join(player_id, conn, edge, f"p{player_id}", "#123456")
        return await self.bus.push_join(room_id, fields)

    async def move(self, room_id: str, player_id: int, conn: str, x: float, y: float,
                   edge: str = EDGE) -> str:
        return await self.bus.push(room_id, events.fields_move(player_id, conn, edge, x, y))

    async def ping(self, room_id: str, player_id: int, conn: str, edge: str = EDGE) -> str:
        return await self.bus.push(room_id, events.fields_ping(player_id, conn, edge))

    async def leave(self, room_id: str, player_id: int, conn: str, edge: str = EDGE) -> str:
        return await self.bus.push(room_id, events.fields_leave(player_id, conn, edge, "test"))

    async def drain(self, room_id: str, timeout_s: float = 5.0) -> None:
        """Wait until every entry of the room's stream is applied and acknowledged."""
        await wait_until(lambda: self.drained(room_id), timeout_s,
                         f"room {room_id} was not drained")

    async def drained(self, room_id: str) -> bool:
        newest = await self.redis.xrevrange(keys.events(room_id), count=1)
        if not newest:
            return True
        applied = await self.redis.get(keys.applied(room_id))
        if applied is None:
            return False
        pending = await self.redis.xpending(keys.events(room_id), keys.WORKER_GROUP)
        done = events.entry_key(applied) >= events.entry_key(newest[0][0])
        return done and pending["pending"] == 0

    async def position(self, room_id: str, player_id: int) -> dict[str, str]:
        data: dict[str, str] = await self.redis.hgetall(keys.player(room_id, str(player_id)))
        return data

    async def members(self, room_id: str) -> set[str]:
        found: set[str] = await self.redis.smembers(keys.members(room_id))
        return found

    async def owner(self, room_id: str) -> str | None:
        token: str | None = await self.redis.get(keys.lease(room_id))
        return token.rsplit(":", 1)[0] if token else None


async def wait_until(check: Callable[[], Awaitable[bool]], timeout_s: float,
                     message: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout_s} s")
        await asyncio.sleep(0.02)


class WorkerRunner:
    """Starts real Worker objects as tasks; stops them cleanly or crashes them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: dict[str, tuple[Worker, asyncio.Task[None]]] = {}

    async def start(self, name: str) -> Worker:
        worker = Worker(self.settings, worker_id=name)
        self.running[name] = (worker, asyncio.create_task(worker.run()))
        return worker

    async def stop(self, name: str) -> None:
        worker, task = self.running.pop(name)
        await worker.stop()
        await asyncio.wait_for(task, timeout=5)

    async def crash(self, name: str) -> None:
        """Die without a word: no release, no leaving the live set, leases left to expire."""
        _worker, task = self.running.pop(name)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def stop_all(self) -> None:
        for name in list(self.running):
            await self.stop(name)


@pytest.fixture
def settings() -> Settings:
    return fast_settings()


@pytest.fixture
async def rooms(redis_client: aioredis.Redis, settings: Settings) -> Rooms:
    return Rooms(redis_client, settings)


@pytest.fixture
async def workers(redis_client: aioredis.Redis, settings: Settings
                  ) -> AsyncIterator[WorkerRunner]:
    runner = WorkerRunner(settings)
    yield runner
    await runner.stop_all()


@pytest.fixture
async def edge(redis_client: aioredis.Redis) -> AsyncIterator[EdgeProbe]:
    """A live edge for the workers' edge-liveness sweep, listening on its channel."""
    probe = EdgeProbe(EDGE)
    bus = Bus(redis_client, 1000)
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(keys.edge_channel(EDGE))

    async def listen() -> None:
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                probe.envelopes.append(envelope.decode(message["data"]))

    async def announce() -> None:
        while True:
            await bus.announce(keys.LIVE_EDGES, EDGE, 60_000)
            await asyncio.sleep(1)

    tasks = [asyncio.create_task(listen()), asyncio.create_task(announce())]
    await asyncio.sleep(0.05)
    yield probe
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await pubsub.aclose()
