"""The latency bookkeeping on made-up states: every move is timed once per other member,
whether a member follows the room's numbering, misses states, or is always first."""

from __future__ import annotations

import random

import numpy as np
import orjson
import pytest

from bench.latency import KEPT_STATES, Recorder, RoomTrack, delivery


def state(xs: dict[int, int]) -> bytes:
    players = [{"player_id": pid, "x": x, "y": 0, "color": "#fff", "username": f"u{pid}"}
               for pid, x in sorted(xs.items())]
    return orjson.dumps({"type": "state", "players": players})


def latencies(room: RoomTrack) -> np.ndarray:
    bulk, _ = room.expand()
    one_by_one = np.frombuffer(room.recorder.latency_ms, dtype=np.float32)
    return np.concatenate([bulk, one_by_one])


def play(size: int, rounds: int, skip: float = 0.0, order: str = "fixed") -> RoomTrack:
    """Players move, states go out; each member gets each state 5-7 ms after it was made.

    `skip`: chance that a member (not the first) misses a state. `order`: "fixed" delivers
    to members in slot order, "shuffled" in a random order per state.
    """
    rng = random.Random(size * 1000 + rounds)
    recorder = Recorder(t0=100.0, active=True)
    ids = [10 + n for n in range(size)]
    room = RoomTrack("r", ids, recorder)
    members = [room.receiver(slot) for slot in range(size)]
    shown = dict.fromkeys(ids, 0)
    for member in members:
        member.on_state(state(shown), None, 99.0)
    clock = 100.0
    for _ in range(rounds):
        for slot in rng.sample(range(size), k=max(1, size // 3)):
            for _ in range(rng.randint(1, 3)):
                clock += 0.001
                shown[ids[slot]] = room.next_sequence(slot, clock)
        payload = state(shown)
        clock += 0.005
        targets = list(range(size))
        if order == "shuffled":
            rng.shuffle(targets)
        for slot in targets:
            if slot and rng.random() < skip:
                continue
            members[slot].on_state(payload, None, clock + rng.random() * 0.002)
    for member in members:  # a last state nobody misses
        member.on_state(state(shown), None, clock + 0.01)
    return room


@pytest.mark.parametrize("size", [3, 12, 60])
@pytest.mark.parametrize("order", ["fixed", "shuffled"])
def test_every_move_is_timed_once_per_other_member(size: int, order: str) -> None:
    room = play(size, 40, order=order)
    timed = latencies(room)
    assert timed.size == sum(room.last) * (size - 1)
    # Members that get every state are timed in bulk, none one by one.
    assert len(room.recorder.latency_ms) == 0
    assert timed.min() >= 4.9  # at least the 5 ms between the last send and the state
    assert all(member.caught_up() for member in room.receivers)
    assert delivery(room).lost == 0


@pytest.mark.parametrize("size", [4, 40])
def test_members_missing_states_still_time_every_move_once(size: int) -> None:
    room = play(size, 60, skip=0.2, order="shuffled")
    timed = latencies(room)
    assert timed.size == sum(room.last) * (size - 1)
    assert sum(member.resyncs for member in room.receivers) > 0
    assert delivery(room).lost == 0


def test_a_member_far_behind_keeps_its_own_account() -> None:
    recorder = Recorder(t0=0.0, active=True)
    room = RoomTrack("r", [1, 2], recorder)
    mover, laggard = room.receiver(0), room.receiver(1)
    for member in (mover, laggard):
        member.on_state(state({1: 0, 2: 0}), None, 0.5)
    backlog = []
    for n in range(KEPT_STATES + 20):
        room.next_sequence(0, 1.0 + n)
        backlog.append(state({1: n + 1, 2: 0}))
        mover.on_state(backlog[-1], None, 1.5 + n)
    for n, payload in enumerate(backlog):
        laggard.on_state(payload, None, 3.0 + n)
    timed = latencies(room)
    assert timed.size == KEPT_STATES + 20
    assert np.allclose(timed, 2000.0)
    assert laggard.caught_up()


def test_a_member_left_behind_counts_as_lost() -> None:
    room = RoomTrack("r", [1, 2, 3], Recorder(active=True))
    first, second, third = (room.receiver(slot) for slot in range(3))
    for member in (first, second, third):
        member.on_state(state({1: 0, 2: 0, 3: 0}), None, 0.5)
    for _ in range(5):
        room.next_sequence(0, 1.0)
    second.on_state(state({1: 3, 2: 0, 3: 0}), None, 2.0)
    first.on_state(state({1: 3, 2: 0, 3: 0}), None, 2.0)
    first.on_state(state({1: 5, 2: 0, 3: 0}), None, 2.0)
    counted = delivery(room)
    assert (counted.sent, counted.lost, counted.lost_closed, counted.behind) == (5, 5, 0, 2)
    # Once the mover's socket is closed by the server, its unseen moves are counted apart.
    first.alive = False
    counted = delivery(room)
    assert (counted.lost, counted.lost_closed, counted.members) == (0, 5, 2)
