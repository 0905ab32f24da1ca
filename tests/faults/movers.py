"""Clients that keep moving, numbering their moves, so that loss and disorder show."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from common import keys
from tests.system.conftest import FAULT_REDIS_URL
from tests.system.harness import Client, System, login, position


@dataclass
class Mover:
    client: Client
    room_id: str
    last_sent: int = 0
    # Each player's x as this client saw it in successive states: must never go back.
    seen: dict[int, list[float]] = field(default_factory=dict)

    async def move_until(self, stop: asyncio.Event, interval_s: float = 0.05) -> None:
        while not stop.is_set():
            self.last_sent += 1
            await self.client.send({"type": "move", "x": self.last_sent, "y": 0})
            await asyncio.sleep(interval_s)

    def record_states(self) -> None:
        self.seen.clear()
        for message in self.client.messages:
            if message["type"] != "state":
                continue
            for player in message["players"]:
                self.seen.setdefault(player["player_id"], []).append(player["x"])


async def start_movers(system: System, rooms: list[str], per_room: int) -> list[Mover]:
    movers = []
    for room_id in rooms:
        for _ in range(per_room):
            player_id, token = login(system)
            client = await Client.join(system, room_id, player_id, token)
            movers.append(Mover(client, room_id))
    return movers


async def wait_for_final_states(movers: list[Mover], timeout_s: float = 10) -> None:
    """Every client sees every room-mate at its last sent position."""
    for mover in movers:
        for other in movers:
            if other.room_id == mover.room_id:
                await mover.client.wait_for(
                    lambda m, o=other: position(m, o.client.player_id) == (o.last_sent, 0),
                    timeout_s=timeout_s,
                )


async def assert_stored_positions(redis_url: str, movers: list[Mover]) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    for mover in movers:
        stored = await client.hgetall(keys.player(mover.room_id, str(mover.client.player_id)))
        assert float(stored["x"]) == mover.last_sent
    for room_id in {m.room_id for m in movers}:
        pending = await client.xpending(keys.events(room_id), keys.WORKER_GROUP)
        assert pending["pending"] == 0, f"room {room_id} has entries pending for ever"
        expected = {str(m.client.player_id) for m in movers if m.room_id == room_id}
        assert await client.smembers(keys.members(room_id)) == expected
    await client.aclose()


def assert_in_order_without_duplicates(movers: list[Mover]) -> None:
    for mover in movers:
        mover.record_states()
        for player_id, xs in mover.seen.items():
            assert xs == sorted(xs), f"player {player_id} moved backwards: {xs}"
        joins = [m["player_id"] for m in mover.client.messages if m["type"] == "join"]
        assert len(joins) == len(set(joins)), f"a join was broadcast twice: {joins}"
        assert not [m for m in mover.client.messages if m["type"] == "leave"]


async def stop_and_check(movers: list[Mover], stop: asyncio.Event,
                         tasks: list[asyncio.Task[None]]) -> None:
    """Stop moving, then check that no move was lost, reordered or announced twice."""
    stop.set()
    await asyncio.gather(*tasks)
    await wait_for_final_states(movers)
    await assert_stored_positions(FAULT_REDIS_URL, movers)
    assert_in_order_without_duplicates(movers)
