"""The replay tool on streams the workers wrote: ranges, filters, trimming and errors."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from common import keys
from common.config import Settings
from common.events import entry_ms
from room_worker.replay import parser, run
from tests.conftest import TEST_REDIS_URL
from tests.room_worker.conftest import EdgeProbe, Rooms, WorkerRunner, fast_settings

ROOT = Path(__file__).resolve().parents[2]


async def replay(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run(parser().parse_args([*args, "--redis-url", TEST_REDIS_URL]), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def settings() -> Settings:
    return fast_settings(checkpoint_every=5)


async def play(rooms: Rooms, room_id: str, moves: int) -> list[str]:
    ids = [await rooms.join(room_id, 1, "c1"), await rooms.join(room_id, 2, "c2")]
    for step in range(1, moves + 1):
        ids.append(await rooms.move(room_id, 1, "c1", step, 0))
        ids.append(await rooms.move(room_id, 2, "c2", 0, -step))
    await rooms.drain(room_id)
    return ids


async def test_replay_after_trimming_starts_from_a_checkpoint_and_still_checks_clean(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    await play(rooms, "trim", moves=20)
    await workers.stop_all()  # replay needs only Redis
    await redis_client.xtrim(keys.events("trim"), maxlen=12, approximate=False)

    code, out, err = await replay("trim", "--check")
    assert code == 0, out + err
    assert "starting from checkpoint" in err
    assert "matches Redis (2 players stored)" in out

    code, out, _ = await replay("trim", "--state")
    assert code == 0
    assert "player 1 (p1) at (20, 0)" in out
    assert "player 2 (p2) at (0, -20)" in out


async def test_a_range_whose_start_was_trimmed_away_is_refused(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe, redis_client: aioredis.Redis
) -> None:
    await workers.start("w1")
    ids = await play(rooms, "gone", moves=20)
    await redis_client.xtrim(keys.events("gone"), maxlen=12, approximate=False)

    with pytest.raises(Exception, match="was trimmed"):
        await replay("gone", "--from", ids[1])


async def test_ranges_by_id_and_by_time_and_one_player_only(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe
) -> None:
    await workers.start("w1")
    ids = await play(rooms, "slice", moves=4)

    code, out, _ = await replay("slice", "--from", ids[2], "--to", ids[5], "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["entry_id"] for row in rows if row["event"] != "checkpoint"] == ids[2:6]
    assert rows[0]["from"] == [0, 0] and rows[0]["to"] == [1, 0]

    since = datetime.fromtimestamp(entry_ms(ids[4]) / 1000, UTC).isoformat()
    code, out, _ = await replay("slice", "--from", since, "--player", "2", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert {row["player_id"] for row in rows} == {2}
    assert rows[-1]["to"] == [0, -4]

    code, out, _ = await replay("slice")
    assert code == 0
    assert "player 1 (p1)" in out and "(0, 0) -> (1, 0)" in out


async def test_follow_prints_entries_as_they_arrive(
    workers: WorkerRunner, rooms: Rooms, edge: EdgeProbe
) -> None:
    await workers.start("w1")
    await play(rooms, "live", moves=1)
    tail = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "room_worker.replay", "live", "--follow", "--redis-url",
        TEST_REDIS_URL, cwd=ROOT, stdout=subprocess.PIPE)
    assert tail.stdout is not None
    for _ in range(4):  # the two joins and two moves already there
        await asyncio.wait_for(tail.stdout.readline(), 10)
    await rooms.move("live", 1, "c1", 77, 7)
    line = (await asyncio.wait_for(tail.stdout.readline(), 10)).decode()
    assert "(1, 0) -> (77, 7)" in line
    tail.terminate()
    await tail.wait()


async def test_unknown_room_empty_stream_bad_points_and_no_redis_are_clear_errors(
    redis_client: aioredis.Redis
) -> None:
    def cli(*args: str, url: str = TEST_REDIS_URL) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "room_worker.replay", *args,
                               "--redis-url", url], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, check=False)

    unknown = cli("nowhere")
    assert unknown.returncode == 2
    assert "room 'nowhere' has no stream in Redis" in unknown.stderr

    entry_id = await redis_client.xadd(keys.events("hollow"), {"type": "ping"})
    await redis_client.xdel(keys.events("hollow"), entry_id)
    empty = cli("hollow")
    assert (empty.returncode, empty.stderr.strip()) == (
        2, "replay: the stream of room 'hollow' is empty")

    await redis_client.xadd(keys.events("odd"), {"type": "ping"})
    bad = cli("odd", "--from", "yesterday")
    assert bad.returncode == 2 and "neither a stream id" in bad.stderr

    down = cli("odd", url="redis://127.0.0.1:1/0")
    assert down.returncode == 2 and "cannot reach Redis" in down.stderr
