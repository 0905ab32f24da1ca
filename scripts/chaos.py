"""`make chaos`: players move while workers and edges are killed and restarted at random.

Starts a system of its own (a private Redis on a free loopback port, users in SQLite in a
temporary directory, random ports), so nothing of a running system is touched. Clients
behave like real ones: they move, ping, and reconnect when their socket drops. When the
run ends the clients settle and the invariants are checked:

- each room's members set equals the players connected to it, with no ghost;
- every member has a position hash and no hash lacks a member;
- every connected client's last state matches Redis;
- no stream entry stays pending.

Prints what it did and each violation; exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis.asyncio as aioredis  # noqa: E402

from common import keys  # noqa: E402
from tests.faults.services import PrivateRedis  # noqa: E402
from tests.system.harness import Client, System, login  # noqa: E402

TARGETS = ["edge:edge-0", "edge:edge-1", "room_worker:room_worker-0",
           "room_worker:room_worker-1"]


@dataclass
class Player:
    player_id: int
    token: str
    room_id: str
    client: Client | None = None
    moves: int = 0
    reconnects: int = 0


@dataclass
class Report:
    actions: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    moves: int = 0
    reconnects: int = 0


async def play(system: System, player: Player, stop: asyncio.Event, rng: random.Random) -> None:
    """Move every 100 ms; reconnect with a short backoff whenever the socket drops."""
    while not stop.is_set():
        try:
            if player.client is None or player.client.closed:
                if player.client is not None:
                    player.reconnects += 1
                player.client = await Client.join(system, player.room_id, player.player_id,
                                                  player.token)
            player.moves += 1
            await player.client.send({"type": "move", "x": player.moves,
                                      "y": rng.randint(-50, 50)})
            await asyncio.sleep(0.1)
        except Exception:  # the socket or the edge went away mid-call: reconnect
            if player.client is not None:
                player.reconnects += 1
            player.client = None
            await asyncio.sleep(rng.uniform(0.2, 1.0))


async def wreak(system: System, stop: asyncio.Event, rng: random.Random,
                report: Report) -> None:
    """Every 2-5 s: SIGKILL a process, or stop and start it, or restart it."""
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(2, 5))
        if stop.is_set():
            return
        target = rng.choice(TARGETS)
        action = rng.choice(["kill", "stop-start", "restart"])
        if action == "kill":
            pid = system.ctl("pid", target).strip()
            if pid.isdigit() and int(pid) > 0:
                os.kill(int(pid), signal.SIGKILL)
        elif action == "stop-start":
            await asyncio.to_thread(system.ctl, "stop", target)
            await asyncio.sleep(1)
            await asyncio.to_thread(system.ctl, "start", target)
        else:
            await asyncio.to_thread(system.ctl, "restart", target)
        report.actions.append(f"{time.strftime('%H:%M:%S')} {action} {target}")


async def settle(system: System, players: list[Player]) -> None:
    """Wait for every process, reconnect every client, and give each one last move."""
    await asyncio.to_thread(system.wait_ready, 60)
    for player in players:
        if player.client is None or player.client.closed:
            player.client = await Client.join(system, player.room_id, player.player_id,
                                              player.token)
        player.moves += 1
        await player.client.send({"type": "move", "x": player.moves, "y": 0})
    await asyncio.sleep(3)


async def check(redis_url: str, players: list[Player], report: Report) -> None:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    for room_id in sorted({p.room_id for p in players}):
        here = [p for p in players if p.room_id == room_id and p.client is not None
                and not p.client.closed]
        members = await redis.smembers(keys.members(room_id))
        expected = {str(p.player_id) for p in here}
        if members != expected:
            report.violations.append(f"room {room_id}: members {sorted(members)} but "
                                     f"connected {sorted(expected)}")
        hashes = {key.rsplit(":", 1)[1] async for key in
                  redis.scan_iter(match=keys.player(room_id, "*"))}
        if hashes != members:
            report.violations.append(f"room {room_id}: position hashes {sorted(hashes)} "
                                     f"but members {sorted(members)}")
        pending = await redis.xpending(keys.events(room_id), keys.WORKER_GROUP)
        if pending["pending"]:
            report.violations.append(f"room {room_id}: {pending['pending']} entries pending")

        stored = {}
        for member in members:
            position = await redis.hgetall(keys.player(room_id, str(member)))
            stored[int(member)] = (float(position.get("x", "nan")),
                                   float(position.get("y", "nan")))
        for player in here:
            assert player.client is not None
            last = player.client.last_state()
            told = {p["player_id"]: (float(p["x"]), float(p["y"])) for p in last["players"]}
            if told != stored:
                report.violations.append(f"room {room_id}: player {player.player_id} was "
                                         f"last told {told}, Redis holds {stored}")
    await redis.aclose()


async def run(seconds: float, clients: int, rooms: int, seed: int) -> Report:
    rng = random.Random(seed)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        work = Path(tmp)
        redis_server = PrivateRedis(work / "redis")
        redis_server.start()
        system = System(run_dir=work / "run", env={
            "REDIS_URL": redis_server.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{work}/users.db",
            "SECRET_KEY": "chaos-run-secret-0123456789abcdef0123456789",
            "BCRYPT_ROUNDS": "4",
        })
        try:
            await asyncio.to_thread(system.start)
            players = []
            for n in range(clients):
                player_id, token = await asyncio.to_thread(login, system, "chaos")
                players.append(Player(player_id, token, f"chaos-{n % rooms}"))

            stop = asyncio.Event()
            tasks = [asyncio.create_task(play(system, p, stop, rng)) for p in players]
            chaos = asyncio.create_task(wreak(system, stop, rng, report))
            await asyncio.sleep(seconds)
            stop.set()
            await asyncio.gather(chaos, *tasks)

            await settle(system, players)
            await check(redis_server.url, players, report)
            report.moves = sum(p.moves for p in players)
            report.reconnects = sum(p.reconnects for p in players)
            for player in players:
                if player.client is not None:
                    await player.client.close()
        finally:
            await asyncio.to_thread(system.stop)
            redis_server.kill()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the chaos")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()

    print(f"chaos: {args.clients} clients in {args.rooms} rooms for {args.seconds:.0f} s, "
          f"seed {args.seed}")
    report = asyncio.run(run(args.seconds, args.clients, args.rooms, args.seed))
    for action in report.actions:
        print(f"  {action}")
    print(json.dumps({"actions": len(report.actions), "moves": report.moves,
                      "reconnects": report.reconnects, "violations": report.violations},
                     indent=2))
    sys.exit(1 if report.violations else 0)


if __name__ == "__main__":
    main()
