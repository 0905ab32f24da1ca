"""Parsing client frames strictly, and encoding what the server sends."""

from __future__ import annotations

import json

import pytest

from common.protocol import (
    PING,
    PONG_TEXT,
    WORLD_LIMIT,
    Move,
    Ping,
    ProtocolError,
    encode,
    error_text,
    parse_frame,
)


def move_frame(x: str, y: str = "0") -> str:
    """A move frame with the coordinates written as raw JSON text."""
    return f'{{"type":"move","x":{x},"y":{y}}}'


def reject_constants(name: str) -> object:
    raise AssertionError(f"output holds the non-JSON constant {name}")


def strict_loads(text: str) -> object:
    return json.loads(text, parse_constant=reject_constants)


def test_move_with_whole_numbers_is_parsed() -> None:
    frame = parse_frame('{"type":"move","x":3,"y":-4}')

    assert frame == Move(3, -4)


def test_move_with_fractions_is_parsed_exactly() -> None:
    frame = parse_frame('{"type": "move", "x": 1.5, "y": -0.125}')

    assert frame == Move(1.5, -0.125)


def test_move_on_the_edge_of_the_world_is_accepted() -> None:
    assert parse_frame(move_frame("1000000", "-1000000")) == Move(WORLD_LIMIT, -WORLD_LIMIT)
    assert parse_frame(move_frame("1e6", "-1e6")) == Move(WORLD_LIMIT, -WORLD_LIMIT)


def test_ping_is_parsed() -> None:
    frame = parse_frame('{"type":"ping"}')

    assert frame == PING
    assert isinstance(frame, Ping)


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(ProtocolError, match="not valid JSON"):
        parse_frame("hello there")


def test_empty_frame_is_refused() -> None:
    with pytest.raises(ProtocolError, match="not valid JSON"):
        parse_frame("")


@pytest.mark.parametrize(
    ("text", "kind"),
    [("[1, 2]", "list"), ('"move"', "str"), ("42", "int"), ("4.5", "float"), ("null", "NoneType")],
)
def test_json_that_is_not_an_object_is_refused_naming_what_arrived(text: str, kind: str) -> None:
    with pytest.raises(ProtocolError, match=f"must be a JSON object, got {kind}"):
        parse_frame(text)


def test_object_without_a_type_is_refused() -> None:
    with pytest.raises(ProtocolError, match='no "type"'):
        parse_frame('{"x":1,"y":2}')


def test_unknown_type_is_refused_naming_it() -> None:
    with pytest.raises(ProtocolError, match="unknown type 'fly'"):
        parse_frame('{"type":"fly"}')


def test_unknown_type_is_echoed_only_in_part() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_frame(json.dumps({"type": "z" * 10_000}))

    assert len(str(caught.value)) < 120


def test_type_that_is_not_a_string_is_an_unknown_type() -> None:
    with pytest.raises(ProtocolError, match="unknown type"):
        parse_frame('{"type":["move"],"x":1,"y":2}')


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ('{"type":"move","y":2}', "missing x"),
        ('{"type":"move","x":1}', "missing y"),
        ('{"type":"move"}', "missing x, y"),
    ],
)
def test_move_without_a_coordinate_is_refused_naming_it(text: str, missing: str) -> None:
    with pytest.raises(ProtocolError, match=missing):
        parse_frame(text)


def test_move_with_extra_fields_is_refused_naming_them() -> None:
    with pytest.raises(ProtocolError, match="unexpected fields: color, z"):
        parse_frame('{"type":"move","x":1,"y":2,"z":3,"color":"red"}')


def test_ping_with_extra_fields_is_refused() -> None:
    with pytest.raises(ProtocolError, match="unexpected fields: x"):
        parse_frame('{"type":"ping","x":1}')


@pytest.mark.parametrize(
    ("raw", "kind"),
    [('"12"', "str"), ("true", "bool"), ("false", "bool"), ("null", "NoneType"),
     ("[1]", "list"), ('{"v":1}', "dict")],
)
def test_x_that_is_not_a_number_is_refused_naming_its_kind(raw: str, kind: str) -> None:
    with pytest.raises(ProtocolError, match=f"x must be a number, got {kind}"):
        parse_frame(move_frame(raw))


def test_y_that_is_not_a_number_is_refused_naming_y() -> None:
    with pytest.raises(ProtocolError, match="y must be a number, got str"):
        parse_frame(move_frame("1", '"2"'))


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "nan", "inf"])
def test_non_finite_literals_are_refused(raw: str) -> None:
    with pytest.raises(ProtocolError):
        parse_frame(move_frame(raw))


def test_number_that_overflows_to_infinity_is_refused() -> None:
    with pytest.raises(ProtocolError):
        parse_frame(move_frame("1e999"))
    with pytest.raises(ProtocolError):
        parse_frame(move_frame("0", "-1e999"))


@pytest.mark.parametrize("raw", ["1000000.5", "-2e6", "1000001", "-1000001", "1e300"])
def test_coordinate_beyond_the_world_limit_is_refused(raw: str) -> None:
    with pytest.raises(ProtocolError, match=r"x must be .*within"):
        parse_frame(move_frame(raw))


@pytest.mark.parametrize(
    "raw",
    [str(2**63), str(2**64), str(10**30), "-" + str(10**40), "9" * 400],
)
def test_huge_integers_are_refused(raw: str) -> None:
    with pytest.raises(ProtocolError):
        parse_frame(move_frame("0", raw))


def test_encode_writes_compact_json() -> None:
    message = {"type": "state", "players": [{"player_id": 1, "x": 1.5, "y": 0, "color": "#a"}]}

    text = encode(message)

    assert text == '{"type":"state","players":[{"player_id":1,"x":1.5,"y":0,"color":"#a"}]}'
    assert strict_loads(text) == message


def test_encode_never_writes_a_raw_newline() -> None:
    text = encode({"type": "join", "username": "two\nlines"})

    assert "\n" not in text
    assert strict_loads(text) == {"type": "join", "username": "two\nlines"}


def test_encode_writes_strict_json_even_for_non_finite_floats() -> None:
    text = encode({"x": float("nan"), "y": float("inf")})

    assert strict_loads(text) == {"x": None, "y": None}


def test_pong_text_is_the_pong_message() -> None:
    assert PONG_TEXT == '{"type":"pong"}'


def test_error_text_carries_the_reason() -> None:
    text = error_text('x must be a number, got "str"')

    assert text == '{"type":"error","reason":"x must be a number, got \\"str\\""}'
    assert strict_loads(text) == {"type": "error", "reason": 'x must be a number, got "str"'}


def test_a_parse_error_message_becomes_an_error_frame() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_frame("{")

    answer = strict_loads(error_text(str(caught.value)))

    assert isinstance(answer, dict)
    assert answer["type"] == "error"
    assert "not valid JSON" in answer["reason"]
