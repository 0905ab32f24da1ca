"""Edges killed or stopped: their players leave the rooms, seen by players elsewhere."""

from __future__ import annotations

import os
import signal
import time

import redis.asyncio as aioredis

from common import closecodes, keys
from tests.faults.conftest import FAULT_REDIS_URL, SystemFactory
from tests.system.harness import clients_on_two_edges, edge_of


async def test_players_of_a_killed_edge_leave_well_before_the_player_timeout(
    make_system: SystemFactory
) -> None:
    system = make_system()
    stay, gone, spare = await clients_on_two_edges(system, "edge-kill", FAULT_REDIS_URL)
    gone_edge = await edge_of("edge-kill", gone.player_id, FAULT_REDIS_URL)
    program = "edge:" + gone_edge.rsplit("-", 2)[0]
    on_gone_edge = [c for c in [gone, *spare]
                    if await edge_of("edge-kill", c.player_id, FAULT_REDIS_URL) == gone_edge]

    pid = int((await system.actl("pid", program)).strip())
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    for client in on_gone_edge:
        leave = {"type": "leave", "player_id": client.player_id}
        await stay.wait_for(lambda m, leave=leave: m == leave, timeout_s=15)
    cleanup_s = max(stay.arrivals) - killed_at
    print(f"players of a killed edge removed after {cleanup_s:.2f} s")
    assert cleanup_s <= 15

    redis = aioredis.Redis.from_url(FAULT_REDIS_URL, decode_responses=True)
    remaining = {str(c.player_id) for c in [stay, *spare] if c not in on_gone_edge}
    assert await redis.smembers(keys.members("edge-kill")) == remaining
    for client in on_gone_edge:
        assert not await redis.exists(keys.player("edge-kill", str(client.player_id)))
    await redis.aclose()
    for client in [stay, *spare]:
        if client not in on_gone_edge:
            await client.close()


async def test_a_stopped_edge_closes_its_sockets_properly_and_they_leave_at_once(
    make_system: SystemFactory
) -> None:
    system = make_system()
    stay, going, spare = await clients_on_two_edges(system, "edge-stop", FAULT_REDIS_URL)
    going_edge = await edge_of("edge-stop", going.player_id, FAULT_REDIS_URL)
    program = "edge:" + going_edge.rsplit("-", 2)[0]

    stopped_at = time.time()
    assert "stopped" in await system.actl("stop", program)
    stop_s = time.time() - stopped_at
    assert await going.wait_closed() == closecodes.SERVICE_RESTART
    leave = {"type": "leave", "player_id": going.player_id}
    await stay.wait_for(lambda m: m == leave, timeout_s=2)
    leave_s = stay.arrivals[stay.messages.index(leave)] - stopped_at
    print(f"edge stopped in {stop_s:.2f} s; leave broadcast after {leave_s:.2f} s")
    assert leave_s < 1.0
    assert stop_s < int(system.env.get("GRACEFUL_SHUTDOWN_S", "10"))
    assert "(terminated by SIGKILL)" not in system.supervisord_log()
    for client in [stay, *spare]:
        if client.close_code is None:
            await client.close()


async def test_a_client_that_vanishes_without_a_close_frame_still_leaves(
    make_system: SystemFactory
) -> None:
    system = make_system()
    stay, other, spare = await clients_on_two_edges(system, "edge-abort", FAULT_REDIS_URL)
    other.ws.transport.abort()  # the TCP connection drops, no close handshake
    leave = {"type": "leave", "player_id": other.player_id}
    await stay.wait_for(lambda m: m == leave, timeout_s=5)
    for client in [stay, *spare]:
        await client.close()
