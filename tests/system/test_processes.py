"""The processes behind the contract: supervisord, several edges, several workers."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from common import keys
from tests.system.conftest import SYSTEM_REDIS_URL
from tests.system.harness import Client, System, login


def test_supervisorctl_shows_auth_two_edges_and_two_workers_running(system: System) -> None:
    lines = [line.split() for line in system.ctl("status").splitlines() if line.strip()]
    states = {fields[0]: fields[1] for fields in lines}
    assert states == {
        "auth": "RUNNING",
        "edge:edge-0": "RUNNING",
        "edge:edge-1": "RUNNING",
        "room_worker:room_worker-0": "RUNNING",
        "room_worker:room_worker-1": "RUNNING",
    }


async def _edge_of(redis: aioredis.Redis, room_id: str, player_id: int) -> str:
    roster = await redis.hget(keys.roster(room_id), str(player_id))
    assert roster is not None
    return str(json.loads(roster)["edge"])


async def test_a_player_on_one_edge_sees_a_player_on_another_edge(system: System) -> None:
    redis = aioredis.Redis.from_url(SYSTEM_REDIS_URL, decode_responses=True)
    room = "cross-edge"
    first_id, first_token = login(system)
    first = await Client.join(system, room, first_id, first_token)
    first_edge = await _edge_of(redis, room, first_id)

    # The kernel picks the edge for each connection; connect until one lands elsewhere.
    other: Client | None = None
    spare: list[Client] = []
    for _ in range(30):
        player_id, token = login(system)
        client = await Client.join(system, room, player_id, token)
        if await _edge_of(redis, room, player_id) != first_edge:
            other = client
            break
        spare.append(client)
    assert other is not None, "every connection landed on one edge"

    await other.send({"type": "move", "x": 11, "y": 22})
    await first.wait_for(lambda m: m["type"] == "state" and any(
        p["player_id"] == other.player_id and (p["x"], p["y"]) == (11, 22)
        for p in m["players"]))
    await first.send({"type": "move", "x": 5, "y": 5})
    await other.wait_for(lambda m: m["type"] == "state" and any(
        p["player_id"] == first_id and (p["x"], p["y"]) == (5, 5) for p in m["players"]))

    for client in [first, other, *spare]:
        await client.close()
    await redis.aclose()


async def test_workers_share_the_rooms_and_each_room_has_one_lease(system: System) -> None:
    redis = aioredis.Redis.from_url(SYSTEM_REDIS_URL, decode_responses=True)
    rooms = [f"spread-{n}" for n in range(12)]
    clients = []
    for room in rooms:
        player_id, token = login(system)
        clients.append(await Client.join(system, room, player_id, token))

    owners = set()
    for room in rooms:
        lease = await redis.get(keys.lease(room))
        assert lease is not None
        owners.add(lease.rsplit("-", 2)[0])
    assert owners == {"worker-0", "worker-1"}
    for client in clients:
        await client.close()
    await redis.aclose()
