"""Properties of the frame parser and the room rules over inputs hypothesis makes up."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from common.events import Event, Join, Kick, Leave, Move, Ping
from common.protocol import WORLD_LIMIT, ProtocolError, encode, parse_frame
from common.protocol import Ping as PingFrame
from room_worker.rules import apply_batch, state_message

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=10,
)


@given(st.text(max_size=200))
def test_any_text_is_parsed_or_refused_with_a_protocol_error(text: str) -> None:
    try:
        parse_frame(text)
    except ProtocolError as exc:
        assert str(exc)


@given(st.dictionaries(st.sampled_from(["type", "x", "y", "z"]), json_values, max_size=4))
def test_any_json_object_gives_a_finite_bounded_move_a_ping_or_an_error(
    data: dict[str, Any]
) -> None:
    try:
        frame = parse_frame(json.dumps(data))
    except ProtocolError:
        return
    if isinstance(frame, PingFrame):
        assert data == {"type": "ping"}
        return
    for value in (frame.x, frame.y):
        assert not isinstance(value, bool)
        assert math.isfinite(value) and abs(value) <= WORLD_LIMIT


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats())
def test_an_accepted_move_encodes_as_strict_json(x: float, y: float) -> None:
    try:
        frame = parse_frame(json.dumps({"type": "move", "x": x, "y": y}))
    except ProtocolError:
        return
    text = encode({"type": "state", "players": [{"x": frame.x, "y": frame.y}]})
    json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))


players_ids = st.integers(min_value=1, max_value=5)
conns = st.sampled_from(["a", "b"])


@st.composite
def event_lists(draw: st.DrawFn, cap: int = 0) -> list[Event]:
    events: list[Event] = []
    for n in range(draw(st.integers(min_value=0, max_value=40))):
        entry_id, player, conn = f"{1000 + n}-0", draw(players_ids), draw(conns)
        kind = draw(st.sampled_from(["join", "move", "ping", "leave", "kick"]))
        if kind == "join":
            events.append(Join(entry_id, player, conn, "e1", f"p{player}", "#123456",
                               cap=cap))
        elif kind == "move":
            events.append(Move(entry_id, player, conn, "e1",
                               draw(st.integers(-9, 9)), draw(st.integers(-9, 9))))
        elif kind == "ping":
            events.append(Ping(entry_id, player, conn, "e1"))
        elif kind == "leave":
            events.append(Leave(entry_id, player, conn, "e1", "closed"))
        else:
            events.append(Kick(entry_id, player, conn, "e1", "heartbeat timeout", 4000,
                               draw(st.integers(990, 1050))))
    return events


@settings(max_examples=300)
@given(event_lists())
def test_the_rules_keep_a_room_consistent_whatever_the_events(events: list[Event]) -> None:
    outcome = apply_batch({}, events)
    for player_id, player in outcome.players.items():
        assert player.player_id == player_id
    states = [m for m in outcome.broadcasts if m["type"] == "state"]
    assert len(states) == (1 if outcome.touched else 0)
    if states:
        assert states[-1] == state_message(outcome.players.values())


@settings(max_examples=300)
@given(event_lists(), st.integers(min_value=1, max_value=40))
def test_applying_in_batches_or_all_at_once_ends_in_the_same_room(
    events: list[Event], size: int
) -> None:
    whole = apply_batch({}, events).players
    players: dict[int, Any] = {}
    for start in range(0, len(events), size):
        players = apply_batch(players, events[start:start + size]).players
    assert players == whole
    assert apply_batch({}, events).players == whole  # and the same answer every time


@settings(max_examples=200)
@given(event_lists(cap=3))
def test_a_room_never_holds_more_players_than_its_cap(events: list[Event]) -> None:
    players: dict[int, Any] = {}
    for event in events:
        players = apply_batch(players, [event]).players
        assert len(players) <= 3
