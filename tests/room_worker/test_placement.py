"""Which live worker should own a room."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from room_worker.placement import preferred_owner

ROOMS = [f"room-{n}" for n in range(1000)]
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def owners(workers: list[str]) -> dict[str, str | None]:
    return {room_id: preferred_owner(room_id, workers) for room_id in ROOMS}


def test_no_workers_means_no_owner() -> None:
    assert preferred_owner("lobby", []) is None
    assert preferred_owner("lobby", iter(())) is None


def test_one_worker_owns_every_room() -> None:
    assert set(owners(["worker-1"]).values()) == {"worker-1"}


def test_the_answer_is_the_same_every_time_and_in_any_order() -> None:
    workers = ["worker-1", "worker-2", "worker-3"]

    first = owners(workers)

    assert owners(workers) == first
    assert owners(list(reversed(workers))) == first
    assert {room_id: preferred_owner(room_id, iter(workers)) for room_id in ROOMS} == first


def test_the_answer_does_not_depend_on_the_process() -> None:
    script = (
        "from room_worker.placement import preferred_owner as p\n"
        "print(','.join(str(p(f'room-{n}', ['w1', 'w2', 'w3'])) for n in range(50)))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, check=True, cwd=PROJECT_ROOT, timeout=60)

    here = [str(preferred_owner(f"room-{n}", ["w1", "w2", "w3"])) for n in range(50)]
    assert result.stdout.strip().split(",") == here


def test_two_workers_share_rooms_roughly_evenly() -> None:
    counts = Counter(owners(["worker-1", "worker-2"]).values())

    assert set(counts) == {"worker-1", "worker-2"}
    for count in counts.values():
        assert 350 <= count <= 650


def test_removing_a_worker_moves_only_the_rooms_it_owned() -> None:
    before = owners(["worker-1", "worker-2", "worker-3"])

    after = owners(["worker-1", "worker-3"])

    moved = {room_id for room_id in ROOMS if before[room_id] != after[room_id]}
    assert moved == {room_id for room_id in ROOMS if before[room_id] == "worker-2"}
    assert moved


def test_adding_a_worker_moves_rooms_only_to_the_new_worker() -> None:
    before = owners(["worker-1", "worker-2"])

    after = owners(["worker-1", "worker-2", "worker-3"])

    moved = [room_id for room_id in ROOMS if before[room_id] != after[room_id]]
    assert moved
    assert all(after[room_id] == "worker-3" for room_id in moved)
    assert 200 <= len(moved) <= 470
