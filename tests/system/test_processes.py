"""The processes behind the contract: supervisord, several edges, several workers."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from common import closecodes, keys
from tests.system.harness import (
    SYSTEM_REDIS_URL,
    Client,
    System,
    clients_on_two_edges,
    edge_of,
    login,
    position,
)


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


async def test_a_player_on_one_edge_sees_a_player_on_another_edge(system: System) -> None:
    first, other, spare = await clients_on_two_edges(system, "cross-edge")

    await other.send({"type": "move", "x": 11, "y": 22})
    await first.wait_for(lambda m: position(m, other.player_id) == (11, 22))
    await first.send({"type": "move", "x": 5, "y": 5})
    await other.wait_for(lambda m: position(m, first.player_id) == (5, 5))

    for client in [first, other, *spare]:
        await client.close()


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


async def test_a_worker_stopped_by_supervisorctl_exits_cleanly_and_its_rooms_move(
    system: System
) -> None:
    redis = aioredis.Redis.from_url(SYSTEM_REDIS_URL, decode_responses=True)
    player_id, token = login(system)
    client = await Client.join(system, "stop-worker", player_id, token)
    lease = await redis.get(keys.lease("stop-worker"))
    assert lease is not None
    name = lease.rsplit("-", 2)[0]  # worker-0 or worker-1
    program = f"room_worker:room_{name}"

    started = time.monotonic()
    assert "stopped" in await system.actl("stop", program)
    stop_s = time.monotonic() - started
    new_lease = await redis.get(keys.lease("stop-worker"))
    assert new_lease is not None and not new_lease.startswith(name)
    await client.send({"type": "move", "x": 4, "y": 2})
    await client.wait_for(lambda m: position(m, player_id) == (4, 2))
    assert stop_s < 5
    assert f"stopped: room_{name} (exit status 0)" in system.supervisord_log()

    assert "started" in await system.actl("start", program)
    await system.await_ready(30)
    await client.close()
    await redis.aclose()


async def test_an_edge_stopped_by_supervisorctl_closes_its_sockets_and_they_leave(
    system: System
) -> None:
    stay, go, spare = await clients_on_two_edges(system, "stop-edge")
    edge_id = await edge_of("stop-edge", go.player_id)
    program = "edge:" + edge_id.rsplit("-", 2)[0]

    assert "stopped" in await system.actl("stop", program)
    assert await go.wait_closed() == closecodes.SERVICE_RESTART
    await stay.wait_for(lambda m: m == {"type": "leave", "player_id": go.player_id},
                        timeout_s=3)
    log = system.supervisord_log()
    assert f"stopped: {program.split(':')[1]} (terminated by SIGTERM)" in log

    assert "started" in await system.actl("start", program)
    await system.await_ready(30)
    for client in [stay, *spare]:
        await client.close()
