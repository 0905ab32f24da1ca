"""Room workers killed, stopped and added while players move: no move is lost or reordered."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time

import redis.asyncio as aioredis

from common import keys
from tests.faults.conftest import FAULT_REDIS_URL, SystemFactory
from tests.faults.movers import start_movers, stop_and_check
from tests.system.harness import System

ROOMS = [f"fault-{n}" for n in range(6)]


async def owners(room_ids: list[str]) -> dict[str, str]:
    client = aioredis.Redis.from_url(FAULT_REDIS_URL, decode_responses=True)
    leases = {room_id: await client.get(keys.lease(room_id)) for room_id in room_ids}
    await client.aclose()
    return {room_id: lease or "" for room_id, lease in leases.items()}


async def worker_pid(system: System, worker: str) -> int:
    return int((await system.actl("pid", f"room_worker:room_{worker}")).strip())


async def test_a_killed_worker_rooms_move_within_5_s_and_every_move_is_applied(
    make_system: SystemFactory
) -> None:
    system = make_system()
    movers = await start_movers(system, ROOMS, per_room=2)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(m.move_until(stop)) for m in movers]
    await asyncio.sleep(1.0)

    before = await owners(ROOMS)
    victim = next(iter(before.values())).rsplit("-", 2)[0]  # worker-0 or worker-1
    victim_rooms = [r for r, token in before.items() if token.startswith(victim + "-")]
    os.kill(await worker_pid(system, victim), signal.SIGKILL)
    killed_at = time.monotonic()

    takeover_s = 0.0
    while True:
        now = await owners(victim_rooms)
        if all(token and token != before[r] for r, token in now.items()):
            takeover_s = time.monotonic() - killed_at
            break
        assert time.monotonic() - killed_at < 10, f"rooms not taken over: {now}"
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    await stop_and_check(movers, stop, tasks)
    print(f"takeover after SIGKILL: {takeover_s:.2f} s for {len(victim_rooms)} rooms")
    assert takeover_s <= 5.0
    for mover in movers:
        await mover.client.close()


async def test_a_stopped_worker_rooms_move_with_no_gap_a_client_notices(
    make_system: SystemFactory
) -> None:
    system = make_system()
    movers = await start_movers(system, ROOMS, per_room=2)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(m.move_until(stop)) for m in movers]
    await asyncio.sleep(1.0)

    victim = next(iter((await owners(ROOMS)).values())).rsplit("-", 2)[0]
    stopped_at = time.time()
    assert "stopped" in await system.actl("stop", f"room_worker:room_{victim}")
    await asyncio.sleep(1.5)
    await stop_and_check(movers, stop, tasks)
    # States arrive every move (50 ms apart): the largest silence around the handover
    # stays within a few broadcast intervals.
    worst = 0.0
    for mover in movers:
        times = mover.client.arrivals
        gaps = [b - a for a, b in itertools.pairwise(times)
                if b > stopped_at - 0.5 and a < stopped_at + 1.0]
        worst = max(worst, *gaps)
    print(f"longest wait for a state around the clean stop: {worst:.2f} s")
    assert worst < 0.5, f"a client waited {worst:.2f} s for a state"
    for mover in movers:
        await mover.client.close()


async def test_added_and_restarted_workers_take_rooms_without_two_owners_at_once(
    make_system: SystemFactory
) -> None:
    system = make_system()
    movers = await start_movers(system, ROOMS, per_room=2)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(m.move_until(stop)) for m in movers]
    fences = asyncio.create_task(watch_fences(ROOMS, stop))

    for program in ["room_worker:room_worker-0", "room_worker:room_worker-1"]:
        assert "stopped" in await system.actl("stop", program)
        await asyncio.sleep(0.5)
        assert "started" in await system.actl("start", program)
        await asyncio.sleep(4.0)  # a newcomer is handed rooms after one lease (3 s)
    assert "room_worker:room_worker-0: stopped" in await system.actl("restart", "room_worker:*")
    # Whichever restarted worker came up first holds every room until the other has stayed
    # up for a lease; then the rooms spread again.
    deadline = time.monotonic() + 10
    while {t.rsplit("-", 2)[0] for t in (await owners(ROOMS)).values()} != {
            "worker-0", "worker-1"}:
        assert time.monotonic() < deadline, f"rooms did not spread: {await owners(ROOMS)}"
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
    await stop_and_check(movers, stop, tasks)
    jumps = await fences
    assert jumps > 0
    for mover in movers:
        await mover.client.close()


async def watch_fences(room_ids: list[str], stop: asyncio.Event) -> int:
    """Sample each room's lease and applied mark together, atomically, until stopped.

    The fencing number may only grow, and the applied entry id may never go back: a second
    writer applying an older view would break one or the other. Returns how many times a
    fence moved, to show ownership did change hands.
    """
    client = aioredis.Redis.from_url(FAULT_REDIS_URL, decode_responses=True)
    last: dict[str, tuple[int, tuple[int, int]]] = {}
    moves = 0
    while not stop.is_set():
        for room_id in room_ids:
            async with client.pipeline(transaction=True) as pipe:
                pipe.get(keys.fence(room_id))
                pipe.get(keys.applied(room_id))
                fence_text, applied = await pipe.execute()
            if fence_text is None or applied is None:
                continue
            ms, _, seq = applied.partition("-")
            sample = (int(fence_text), (int(ms), int(seq)))
            if room_id in last:
                assert sample[0] >= last[room_id][0], f"fence went back in {room_id}"
                assert sample[1] >= last[room_id][1], f"applied id went back in {room_id}"
                moves += sample[0] > last[room_id][0]
            last[room_id] = sample
        await asyncio.sleep(0.01)
    await client.aclose()
    return moves
