"""Room workers against the real Redis: applying, ownership, failover, sweeps, bad entries."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from common import closecodes, keys
from room_worker.leases import Leases
from room_worker.rules import Outcome
from room_worker.store import Batch, RoomStore
from tests.room_worker.conftest import (
    EDGE as EDGE_ID,
)
from tests.room_worker.conftest import (
    EdgeProbe,
    Rooms,
    WorkerRunner,
    fast_settings,
    wait_until,
)


async def test_join_and_moves_are_written_to_the_contract_keys(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe
) -> None:
    await workers.start("w1")
    await rooms.join("lobby", 7, "c7")
    for step in range(20):
        await rooms.move("lobby", 7, "c7", step, -step)
    await rooms.move("lobby", 7, "c7", 40, 12.5)
    await rooms.drain("lobby")

    assert await rooms.members("lobby") == {"7"}
    assert await rooms.position("lobby", 7) == {"x": "40", "y": "12.5", "color": "#123456"}
    await wait_until(lambda: _has(edge, "lobby", '"x":40,"y":12.5'), 2, "no final state")
    assert edge.broadcasts("lobby", "join")[0].startswith('{"type":"join","player_id":7')


async def _has(edge: EdgeProbe, room_id: str, fragment: str) -> bool:
    return any(fragment in text for text in edge.broadcasts(room_id, "state"))


async def test_leave_removes_the_player_from_members_and_position_hash(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe
) -> None:
    await workers.start("w1")
    await rooms.join("hall", 1, "c1")
    await rooms.join("hall", 2, "c2")
    await rooms.leave("hall", 1, "c1")
    await rooms.drain("hall")

    assert await rooms.members("hall") == {"2"}
    assert await rooms.position("hall", 1) == {}
    await wait_until(lambda: _broadcast(edge, "hall", "leave"), 2, "no leave broadcast")


async def _broadcast(edge: EdgeProbe, room_id: str, kind: str) -> bool:
    return bool(edge.broadcasts(room_id, kind))


async def test_every_room_has_exactly_one_owner_and_rooms_spread_over_workers(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, settings: object
) -> None:
    await workers.start("w1")
    await workers.start("w2")
    names = [f"room{i}" for i in range(24)]
    # Both workers must see each other as settled before the split is final.
    await asyncio.sleep(1.2)
    for i, room_id in enumerate(names):
        await rooms.join(room_id, i + 1, f"c{i}")
    for room_id in names:
        await rooms.drain(room_id)
    await asyncio.sleep(1.0)

    owners = [await rooms.owner(room_id) for room_id in names]
    assert set(owners) == {"w1", "w2"}
    for name in ("w1", "w2"):
        held = set(workers.running[name][0].actor.rooms)
        assert held == {r for r, o in zip(names, owners, strict=True) if o == name}


async def test_a_crashed_worker_rooms_move_and_pending_entries_are_applied(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await rooms.join("arena", 5, "c5")
    await rooms.drain("arena")
    await workers.crash("w1")

    # Entries pushed while nobody owns the room wait in the stream for the next owner.
    for step in range(10):
        await rooms.move("arena", 5, "c5", step, step)
    started = time.monotonic()
    await workers.start("w2")
    await rooms.drain("arena", timeout_s=5)

    assert time.monotonic() - started < 3
    assert await rooms.owner("arena") == "w2"
    assert await rooms.position("arena", 5) == {"x": "9", "y": "9", "color": "#123456"}


async def test_a_stopped_worker_hands_its_rooms_over_at_once(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe
) -> None:
    await workers.start("w1")
    await rooms.join("plaza", 3, "c3")
    await rooms.drain("plaza")
    await workers.start("w2")
    await asyncio.sleep(0.3)
    owner = await rooms.owner("plaza")
    assert owner in {"w1", "w2"}

    started = time.monotonic()
    await workers.stop(owner or "")
    other = "w2" if owner == "w1" else "w1"
    await wait_until(lambda: _owned_by(rooms, "plaza", other), 2, "room not taken over")
    assert time.monotonic() - started < 0.5  # well below the lease TTL of 0.8 s

    await rooms.move("plaza", 3, "c3", 8, 9)
    await rooms.drain("plaza")
    assert (await rooms.position("plaza", 3))["x"] == "8"


async def _owned_by(rooms: Rooms, room_id: str, worker: str) -> bool:
    return await rooms.owner(room_id) == worker


async def test_a_commit_with_a_stale_fencing_token_is_refused(
    redis_client: aioredis.Redis, rooms: Rooms
) -> None:
    leases = Leases(redis_client, "old", ttl_ms=5000)
    token = await leases.acquire("vault")
    assert token is not None
    await redis_client.delete(keys.lease("vault"))
    newer = await Leases(redis_client, "new", ttl_ms=5000).acquire("vault")
    assert newer is not None and newer != token

    store = RoomStore(redis_client)
    entry_id = await rooms.join("vault", 1, "c1")
    batch = Batch([entry_id], entry_id, Outcome(players={}, touched={1}), publishes={})
    assert await store.commit("vault", token, batch) is None
    assert await redis_client.get(keys.applied("vault")) is None


async def test_a_silent_player_is_removed_with_a_leave_and_a_close_order(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe
) -> None:
    await workers.start("w1")
    await rooms.join("quiet", 1, "c1")
    await rooms.join("quiet", 2, "c2")
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:  # player 2 keeps talking, player 1 says nothing
        await rooms.ping("quiet", 2, "c2")
        await asyncio.sleep(0.2)
    await rooms.drain("quiet")

    assert await rooms.members("quiet") == {"2"}
    closes = edge.closes("quiet")
    assert [(c.player_id, c.conn, c.code) for c in closes] == [
        (1, "c1", closecodes.HEARTBEAT_TIMEOUT)]
    assert any('"player_id":1' in text for text in edge.broadcasts("quiet", "leave"))


async def test_players_of_an_edge_that_stops_announcing_are_removed(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await rooms.join("port", 1, "c1")
    await rooms.join("port", 2, "c2", edge="edge-gone")
    seconds, _ = await redis_client.time()
    await redis_client.zadd(keys.LIVE_EDGES, {"edge-gone": seconds * 1000 - 500})  # expired
    await rooms.ping("port", 1, "c1")
    await wait_until(lambda: _members_are(rooms, "port", {"1"}), 1.4, "ghost not removed")
    await rooms.drain("port")
    assert any('"player_id":2' in text for text in edge.broadcasts("port", "leave"))


async def _members_are(rooms: Rooms, room_id: str, expected: set[str]) -> bool:
    return await rooms.members(room_id) == expected


async def test_malformed_entries_are_acknowledged_and_later_entries_still_applied(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await rooms.join("dock", 4, "c4")
    stream = keys.events("dock")
    await redis_client.xadd(stream, {"type": "move", "player": "4"})  # no conn, no x/y
    await redis_client.xadd(stream, {"type": "teleport", "player": "4", "conn": "c4",
                                     "edge": "e"})
    await redis_client.xadd(stream, {"junk": "1"})
    await rooms.move("dock", 4, "c4", 2, 3)
    await rooms.drain("dock")
    assert await rooms.position("dock", 4) == {"x": "2", "y": "3", "color": "#123456"}


async def test_an_empty_room_is_retired_and_its_history_set_to_expire(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await rooms.join("attic", 1, "c1")
    await rooms.leave("attic", 1, "c1")
    await rooms.drain("attic")
    await wait_until(lambda: _retired(redis_client, "attic"), 3, "room not retired")

    assert await redis_client.ttl(keys.events("attic")) > 0
    # A new join brings the room back with its history kept.
    await rooms.join("attic", 2, "c2")
    await rooms.drain("attic")
    assert await rooms.members("attic") == {"2"}
    assert await redis_client.ttl(keys.events("attic")) == -1


async def _retired(client: aioredis.Redis, room_id: str) -> bool:
    active = await client.zscore(keys.ACTIVE_ROOMS, room_id)
    return active is None and not await client.exists(keys.lease(room_id))


async def test_pending_entries_trimmed_away_are_dropped_and_the_room_carries_on(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    stream = keys.events("cellar")
    await rooms.join("cellar", 1, "c1")
    await redis_client.xgroup_create(stream, keys.WORKER_GROUP, "0")
    # A consumer that read the entries and died; then the stream was trimmed under them,
    # so they stay pending with no body.
    await redis_client.xreadgroup(keys.WORKER_GROUP, "ghost", {stream: ">"})
    await redis_client.xtrim(stream, maxlen=0, approximate=False)
    await redis_client.zadd(keys.ACTIVE_ROOMS, {"cellar": 1})

    await workers.start("w1")
    await rooms.join("cellar", 2, "c2")
    await rooms.move("cellar", 2, "c2", 6, 6)
    await rooms.drain("cellar")
    assert await rooms.members("cellar") == {"2"}
    assert (await rooms.position("cellar", 2))["x"] == "6"


async def test_an_entry_with_an_empty_body_is_skipped(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await rooms.join("shed", 1, "c1")
    await redis_client.xadd(keys.events("shed"), {"": ""})
    await rooms.move("shed", 1, "c1", 4, 4)
    await rooms.drain("shed")
    assert (await rooms.position("shed", 1))["x"] == "4"


async def test_a_player_id_past_the_safe_range_is_skipped_and_the_room_goes_on(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await rooms.join("vast", 1, "c1")
    await redis_client.xadd(keys.events("vast"), {
        "type": "join", "player": str(2**64), "conn": "cx", "edge": EDGE_ID, "name": "big",
        "color": "#000000"})
    await rooms.move("vast", 1, "c1", 5, 5)
    await rooms.drain("vast")
    assert await rooms.members("vast") == {"1"}
    assert (await rooms.position("vast", 1))["x"] == "5"


async def test_trimming_never_drops_entries_no_worker_has_applied(
    redis_client: aioredis.Redis, edge: EdgeProbe
) -> None:
    settings = fast_settings(stream_maxlen=100, checkpoint_every=10, stream_hard_maxlen=1000)
    rooms, runner = Rooms(redis_client, settings), WorkerRunner(settings)
    await runner.start("w1")
    await rooms.join("deep", 1, "c1")
    await rooms.join("deep", 2, "c2")
    await rooms.drain("deep")
    await runner.stop("w1")

    # With no worker running, far more than STREAM_MAXLEN entries pile up unread.
    for step in range(1, 400):
        await rooms.move("deep", 1, "c1", step, 0)
    await rooms.leave("deep", 2, "c2")
    await rooms.join("deep", 3, "c3")
    await runner.start("w2")
    await rooms.drain("deep")
    for step in range(400, 700):
        await rooms.move("deep", 1, "c1", step, 0)
    await rooms.drain("deep")
    await runner.stop_all()

    assert await rooms.members("deep") == {"1", "3"}
    assert (await rooms.position("deep", 1))["x"] == "699"
    assert await redis_client.xlen(keys.events("deep")) < 500  # applied history was trimmed


async def test_long_dead_workers_and_edges_are_forgotten_by_the_presence_sets(
    workers: WorkerRunner, redis_client: aioredis.Redis
) -> None:
    await redis_client.zadd(keys.LIVE_WORKERS, {"worker-gone": 1})
    await redis_client.zadd(keys.LIVE_EDGES, {"edge-gone": 1})
    await workers.start("w1")
    await wait_until(lambda: _forgotten(redis_client), 3, "dead ids still listed")
    assert await redis_client.zscore(keys.LIVE_WORKERS, "w1") is not None


async def _forgotten(client: aioredis.Redis) -> bool:
    workers = await client.zscore(keys.LIVE_WORKERS, "worker-gone")
    edges = await client.zscore(keys.LIVE_EDGES, "edge-gone")
    return workers is None and edges is None
