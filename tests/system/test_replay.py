"""The replay command against a room the real system played out."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import redis.asyncio as aioredis

from tests.system.conftest import HEARTBEAT_TIMEOUT_S
from tests.system.harness import ROOT, SYSTEM_REDIS_URL, Client, System, login, position

ROOM = "replay-walk"


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "room_worker.replay", ROOM, "--redis-url", SYSTEM_REDIS_URL,
         *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


async def play_a_session(system: System) -> list[Client]:
    """Four players: moves, pings, one goes silent and is removed, one leaves."""
    ids = [login(system) for _ in range(4)]
    a, b, c = [await Client.join(system, ROOM, pid, tok) for pid, tok in ids[:3]]
    silent = await Client.join(system, ROOM, *ids[3], keepalive=False)
    for step in range(5):
        await a.send({"type": "move", "x": step, "y": 2 * step})
        await b.send({"type": "move", "x": -step, "y": 1.5})
        await b.send({"type": "ping"})
    await c.send({"type": "move", "x": 9, "y": 9})
    await c.wait_for(lambda m: position(m, c.player_id) == (9, 9))
    await c.close()
    await a.wait_for(lambda m: m == {"type": "leave", "player_id": silent.player_id},
                     timeout_s=HEARTBEAT_TIMEOUT_S + 4)
    await a.send({"type": "move", "x": 40, "y": 12})
    await b.wait_for(lambda m: position(m, a.player_id) == (40, 12))
    await asyncio.sleep(0.3)
    return [a, b]


async def test_replay_reproduces_every_state_the_clients_received_and_checks_clean(
    system: System
) -> None:
    a, b = await play_a_session(system)

    result = replay("--json", "--with-state")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    replayed = [row["state"] for row in rows]
    events = {row["event"] for row in rows}
    assert {"join", "move", "ping", "leave", "kick"} <= events
    assert any(row["effect"] == "removed" for row in rows)

    for client in (a, b):
        received = [m["players"] for m in client.messages if m["type"] == "state"]
        cursor = 0
        for state in received:  # each state a client got is a replayed one, in order
            while cursor < len(replayed) and replayed[cursor] != state:
                cursor += 1
            assert cursor < len(replayed), f"state {state} never appears in the replay"
        assert received[-1] == replayed[-1]

    checked = replay("--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "matches Redis" in checked.stdout
    for client in (a, b):
        await client.close()


async def test_check_fails_and_names_the_player_whose_hash_was_tampered_with(
    system: System
) -> None:
    a, b = await play_a_session(system)
    redis = aioredis.Redis.from_url(SYSTEM_REDIS_URL, decode_responses=True)
    await redis.hset(f"room:{{{ROOM}}}:player:{b.player_id}", "x", "999")

    checked = replay("--check")
    assert checked.returncode == 1
    assert f"DIFFERENT player {b.player_id}: Redis has (999, 1.5)" in checked.stdout
    assert f"player {a.player_id}:" not in checked.stdout
    await redis.aclose()
    for client in (a, b):
        await client.close()
