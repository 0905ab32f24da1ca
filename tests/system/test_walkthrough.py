"""The original plan's walk-through on the real processes: join, move, ping, leave."""

from __future__ import annotations

import asyncio
import json

import redis.asyncio as aioredis

from common import closecodes, keys
from tests.system.conftest import HEARTBEAT_TIMEOUT_S
from tests.system.harness import SYSTEM_REDIS_URL, Client, System, login, position


async def test_two_players_in_one_room_see_each_others_moves(system: System) -> None:
    (a_id, a_token), (b_id, b_token) = login(system), login(system)
    a = await Client.join(system, "walk-moves", a_id, a_token)
    b = await Client.join(system, "walk-moves", b_id, b_token)

    await a.send({"type": "move", "x": 40, "y": 12})
    await b.wait_for(lambda m: position(m, a_id) == (40, 12))
    await b.send({"type": "move", "x": -3.5, "y": 7})
    await a.wait_for(lambda m: position(m, b_id) == (-3.5, 7))
    await a.close()
    await b.close()


async def test_the_joiner_gets_join_then_a_state_with_its_colour_at_the_origin(
    system: System
) -> None:
    player_id, token = login(system)
    client = await Client.join(system, "walk-join", player_id, token)

    kinds = [m["type"] for m in client.messages]
    assert kinds.index("join") < kinds.index("state")
    join = client.messages[kinds.index("join")]
    assert join["player_id"] == player_id
    me = next(p for p in client.last_state()["players"] if p["player_id"] == player_id)
    assert (me["x"], me["y"]) == (0, 0)
    assert me["color"].startswith("#") and len(me["color"]) == 7
    await client.close()


async def test_a_joiner_hears_its_own_join_first_even_in_a_busy_room(system: System) -> None:
    mover_id, mover_token = login(system)
    mover = await Client.join(system, "walk-busy", mover_id, mover_token)
    stop = asyncio.Event()

    async def keep_moving() -> None:
        step = 0
        while not stop.is_set():
            step += 1
            await mover.send({"type": "move", "x": step % 100, "y": 0})
            await asyncio.sleep(0.04)

    task = asyncio.create_task(keep_moving())
    joiners = []
    for _ in range(5):
        player_id, token = login(system)
        joiners.append(await Client.join(system, "walk-busy", player_id, token))
    stop.set()
    await task
    for joiner in joiners:
        assert joiner.messages[0] == {**joiner.messages[0], "type": "join",
                                      "player_id": joiner.player_id}
    for client in [mover, *joiners]:
        await client.close()


async def test_ping_gets_pong(system: System) -> None:
    player_id, token = login(system)
    client = await Client.join(system, "walk-ping", player_id, token, keepalive=False)
    await client.send({"type": "ping"})
    await client.wait_for(lambda m: m["type"] == "pong")
    await client.close()


async def test_a_close_is_a_leave_for_the_others_and_clears_redis(system: System) -> None:
    (a_id, a_token), (b_id, b_token) = login(system), login(system)
    a = await Client.join(system, "walk-leave", a_id, a_token)
    b = await Client.join(system, "walk-leave", b_id, b_token)
    await a.wait_for(lambda m: m["type"] == "state" and Client.sees(m, b_id))

    await b.close()
    await a.wait_for(lambda m: m == {"type": "leave", "player_id": b_id})
    redis = aioredis.Redis.from_url(SYSTEM_REDIS_URL, decode_responses=True)
    assert await redis.smembers(keys.members("walk-leave")) == {str(a_id)}
    assert await redis.exists(keys.player("walk-leave", str(b_id))) == 0
    await redis.aclose()
    await a.close()


async def test_a_silent_client_is_removed_after_the_timeout_with_a_leave(
    system: System
) -> None:
    (a_id, a_token), (b_id, b_token) = login(system), login(system)
    talker = await Client.join(system, "walk-silent", a_id, a_token)
    silent = await Client.join(system, "walk-silent", b_id, b_token, keepalive=False)

    await talker.wait_for(lambda m: m == {"type": "leave", "player_id": b_id},
                          timeout_s=HEARTBEAT_TIMEOUT_S + 4)
    assert await silent.wait_closed() == closecodes.HEARTBEAT_TIMEOUT
    assert not Client.sees(talker.last_state(), b_id)
    await talker.close()


async def test_two_rooms_stay_isolated(system: System) -> None:
    (a_id, a_token), (b_id, b_token) = login(system), login(system)
    a = await Client.join(system, "walk-iso-1", a_id, a_token)
    b = await Client.join(system, "walk-iso-2", b_id, b_token)
    await a.send({"type": "move", "x": 1, "y": 1})
    await b.send({"type": "move", "x": 2, "y": 2})
    await a.wait_for(lambda m: position(m, a_id) == (1, 1))
    await b.wait_for(lambda m: position(m, b_id) == (2, 2))
    await asyncio.sleep(0.3)

    assert all(position(m, b_id) is None for m in a.messages)
    assert all(m.get("player_id") != b_id for m in a.messages)
    assert all(position(m, a_id) is None for m in b.messages)
    await a.close()
    await b.close()


async def test_a_late_joiner_gets_the_full_state(system: System) -> None:
    early = [login(system) for _ in range(3)]
    clients = [await Client.join(system, "walk-late", pid, tok) for pid, tok in early]
    for n, client in enumerate(clients):
        await client.send({"type": "move", "x": n * 10, "y": n})
    await clients[0].wait_for(lambda m: position(m, early[2][0]) == (20, 2))

    late_id, late_token = login(system)
    late = await Client.join(system, "walk-late", late_id, late_token)
    state = late.last_state()
    assert {p["player_id"] for p in state["players"]} == {pid for pid, _ in early} | {late_id}
    assert [position(state, pid) for pid, _ in early] == [(0, 0), (10, 1), (20, 2)]
    for client in [*clients, late]:
        await client.close()


async def test_positions_in_redis_match_what_clients_were_told(system: System) -> None:
    players = [login(system) for _ in range(3)]
    clients = [await Client.join(system, "walk-match", pid, tok) for pid, tok in players]
    for step in range(15):
        for n, client in enumerate(clients):
            await client.send({"type": "move", "x": step + n, "y": step * 2})
    watcher = clients[0]
    await watcher.wait_for(lambda m: all(
        position(m, pid) == (14 + n, 28) for n, (pid, _) in enumerate(players)))
    await asyncio.sleep(0.3)

    redis = aioredis.Redis.from_url(SYSTEM_REDIS_URL, decode_responses=True)
    for client in clients:
        for player in client.last_state()["players"]:
            stored = await redis.hgetall(keys.player("walk-match", str(player["player_id"])))
            assert (float(stored["x"]), float(stored["y"])) == (player["x"], player["y"])
            assert stored["color"] == player["color"]
    await redis.aclose()
    for client in clients:
        await client.close()


async def test_an_invalid_frame_is_answered_and_the_socket_stays_open(
    system: System
) -> None:
    player_id, token = login(system)
    client = await Client.join(system, "walk-errors", player_id, token)
    for frame in ["not json", "[1, 2]", json.dumps({"type": "fly"}),
                  json.dumps({"type": "move", "x": "a", "y": 1})]:
        await client.send(frame)
    await client.ws.send(b"\x00binary")
    await client.send({"type": "move", "x": 5, "y": 6})

    await client.wait_for(lambda m: position(m, player_id) == (5, 6))
    errors = [m for m in client.messages if m["type"] == "error"]
    assert len(errors) == 5
    assert all(isinstance(e["reason"], str) and e["reason"] for e in errors)
    await client.close()


async def test_the_same_player_on_a_second_socket_replaces_the_first(system: System) -> None:
    player_id, token = login(system)
    first = await Client.join(system, "walk-twice", player_id, token)
    second = await Client.join(system, "walk-twice", player_id, token)

    assert await first.wait_closed() == closecodes.REPLACED
    await second.send({"type": "move", "x": 3, "y": 3})
    state = await second.wait_for(lambda m: position(m, player_id) == (3, 3))
    assert [p["player_id"] for p in state["players"]].count(player_id) == 1
    await second.close()
