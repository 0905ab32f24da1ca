"""Room events: stream fields written by edges and workers, and decoding them back."""

from __future__ import annotations

import pytest

from common import closecodes
from common.events import (
    BadEntry,
    Join,
    Kick,
    Leave,
    Move,
    Ping,
    as_number,
    decode,
    entry_key,
    entry_ms,
    fields_join,
    fields_kick,
    fields_leave,
    fields_move,
    fields_ping,
)

ENTRY = "1700000000123-4"


def test_join_fields_decode_to_a_join() -> None:
    event = decode(ENTRY, fields_join(7, "c-1", "edge-a", "alice smith", "#12ab34"))

    assert event == Join(ENTRY, 7, "c-1", "edge-a", "alice smith", "#12ab34")


def test_move_fields_decode_to_a_move_with_the_same_position() -> None:
    event = decode(ENTRY, fields_move(7, "c-1", "edge-a", 1.5, -0.1))

    assert event == Move(ENTRY, 7, "c-1", "edge-a", 1.5, -0.1)


@pytest.mark.parametrize("value", [0.1, 1 / 3, -123456.789, 1e-300, 999999.9999999999])
def test_move_fields_keep_every_float_exactly(value: float) -> None:
    event = decode(ENTRY, fields_move(1, "c", "e", value, -value))

    assert isinstance(event, Move)
    assert (event.x, event.y) == (value, -value)


def test_move_to_whole_numbers_decodes_to_ints() -> None:
    event = decode(ENTRY, fields_move(7, "c-1", "edge-a", 40, -3.0))

    assert isinstance(event, Move)
    assert (event.x, event.y) == (40, -3)
    assert type(event.x) is int and type(event.y) is int


def test_ping_fields_decode_to_a_ping() -> None:
    event = decode(ENTRY, fields_ping(7, "c-1", "edge-a"))

    assert event == Ping(ENTRY, 7, "c-1", "edge-a")


def test_leave_fields_decode_to_a_leave_with_its_reason() -> None:
    event = decode(ENTRY, fields_leave(7, "c-1", "edge-a", "socket closed by client"))

    assert event == Leave(ENTRY, 7, "c-1", "edge-a", "socket closed by client")


def test_kick_fields_decode_to_a_kick_with_code_and_seen_time() -> None:
    fields = fields_kick(7, "c-1", "edge-a", "heartbeat timeout", closecodes.HEARTBEAT_TIMEOUT,
                         1699999999000)

    event = decode(ENTRY, fields)

    assert event == Kick(ENTRY, 7, "c-1", "edge-a", "heartbeat timeout",
                         closecodes.HEARTBEAT_TIMEOUT, 1699999999000)


def test_every_field_is_a_string_as_redis_stores_it() -> None:
    all_fields = [
        fields_join(7, "c", "e", "n", "#000000"),
        fields_move(7, "c", "e", 1, 2.5),
        fields_ping(7, "c", "e"),
        fields_leave(7, "c", "e", "r"),
        fields_kick(7, "c", "e", "r", 4000, 5),
    ]

    for fields in all_fields:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())


def test_event_time_is_the_entry_ids_millisecond_part() -> None:
    event = decode(ENTRY, fields_ping(7, "c-1", "edge-a"))

    assert event.at_ms == 1700000000123
    assert entry_ms("5-0") == 5


def test_entry_key_orders_sequence_numbers_as_numbers() -> None:
    assert entry_key("1-10") > entry_key("1-9")
    assert entry_key("2-0") > entry_key("1-99")
    assert entry_key("10-0") > entry_key("9-999")


def test_entry_key_splits_milliseconds_and_sequence() -> None:
    assert entry_key("1700000000000-3") == (1700000000000, 3)
    assert entry_key("42") == (42, 0)


def test_sorting_by_entry_key_gives_stream_order() -> None:
    ids = ["2-0", "1-10", "1-9", "10-1", "1-99", "10-0"]

    assert sorted(ids, key=entry_key) == ["1-9", "1-10", "1-99", "2-0", "10-0", "10-1"]


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"type": "move", "player": "7", "conn": "c", "edge": "e", "x": "1"}, "'y'"),
        ({"type": "join", "player": "7", "conn": "c", "edge": "e", "name": "n"}, "'color'"),
        ({"type": "ping", "player": "7", "conn": "c"}, "'edge'"),
        ({"type": "leave", "player": "7", "conn": "c", "edge": "e"}, "'reason'"),
        ({"player": "7", "conn": "c", "edge": "e"}, "'type'"),
        ({"type": "ping", "conn": "c", "edge": "e"}, "'player'"),
    ],
)
def test_entry_missing_a_field_is_a_bad_entry_naming_it(fields: dict[str, str],
                                                         names: str) -> None:
    with pytest.raises(BadEntry, match=f"field {names} is missing"):
        decode(ENTRY, fields)


def test_empty_entry_is_a_bad_entry() -> None:
    with pytest.raises(BadEntry, match=ENTRY):
        decode(ENTRY, {})


def test_unknown_type_is_a_bad_entry() -> None:
    fields = {"type": "teleport", "player": "7", "conn": "c", "edge": "e"}

    with pytest.raises(BadEntry, match="unknown type 'teleport'"):
        decode(ENTRY, fields)


@pytest.mark.parametrize("player", ["alice", "", "7.5", "0x10"])
def test_non_numeric_player_is_a_bad_entry(player: str) -> None:
    fields = fields_ping(1, "c", "e") | {"player": player}

    with pytest.raises(BadEntry, match=ENTRY):
        decode(ENTRY, fields)


@pytest.mark.parametrize("x", ["nan", "inf", "-inf", "1e999", "NaN"])
def test_move_to_a_non_finite_position_is_a_bad_entry(x: str) -> None:
    fields = fields_move(7, "c", "e", 0, 0) | {"x": x}

    with pytest.raises(BadEntry, match="non-finite"):
        decode(ENTRY, fields)


def test_move_with_a_non_numeric_coordinate_is_a_bad_entry() -> None:
    fields = fields_move(7, "c", "e", 0, 0) | {"y": "north"}

    with pytest.raises(BadEntry, match=ENTRY):
        decode(ENTRY, fields)


def test_kick_with_a_non_numeric_code_is_a_bad_entry() -> None:
    fields = fields_kick(7, "c", "e", "r", 4000, 1) | {"code": "soon"}

    with pytest.raises(BadEntry, match=ENTRY):
        decode(ENTRY, fields)


def test_as_number_keeps_whole_numbers_as_ints() -> None:
    assert as_number(40.0) == 40 and type(as_number(40.0)) is int
    assert as_number(-3.0) == -3 and type(as_number(-3.0)) is int
    assert as_number(0.0) == 0 and type(as_number(0.0)) is int


def test_as_number_leaves_fractions_and_huge_values_as_floats() -> None:
    assert as_number(1.5) == 1.5 and type(as_number(1.5)) is float
    assert type(as_number(2.0**53)) is float
    assert type(as_number(-(2.0**60))) is float
