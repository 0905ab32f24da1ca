"""What a worker publishes to an edge: one room's broadcasts and close orders."""

from __future__ import annotations

import pytest

from common import closecodes, envelope, protocol
from common.envelope import CloseOrder, Envelope


def test_room_with_broadcasts_and_closes_survives_a_round_trip() -> None:
    broadcasts = [
        protocol.encode({"type": "join", "player_id": 7, "username": "alice"}),
        protocol.encode({"type": "state", "players": [{"player_id": 7, "x": 0, "y": 0}]}),
        protocol.encode({"type": "leave", "player_id": 3}),
    ]
    closes = [
        CloseOrder(3, "c-3", closecodes.REPLACED, "replaced by a newer connection"),
        CloseOrder(9, "c-9", closecodes.HEARTBEAT_TIMEOUT, "silent for 60 s"),
    ]

    decoded = envelope.decode(envelope.encode("lobby", broadcasts, closes))

    assert decoded == Envelope("lobby", broadcasts, closes)


def test_room_with_nothing_to_send_survives_a_round_trip() -> None:
    assert envelope.decode(envelope.encode("lobby", [], [])) == Envelope("lobby")


def test_broadcast_json_with_spaces_is_passed_on_unchanged() -> None:
    text = protocol.encode({"type": "join", "username": "Mary Ann  Smith", "note": "a b\tc"})

    decoded = envelope.decode(envelope.encode("r1", [text], []))

    assert decoded.broadcasts == [text]


def test_broadcast_holding_an_escaped_newline_stays_one_line() -> None:
    text = protocol.encode({"type": "join", "username": "two\nlines"})

    decoded = envelope.decode(envelope.encode("r1", [text, text], []))

    assert decoded.broadcasts == [text, text]


def test_close_reason_keeps_its_spaces() -> None:
    order = CloseOrder(1, "c-1", closecodes.NOT_IN_ROOM, "no longer  in this room ")

    decoded = envelope.decode(envelope.encode("r1", [], [order]))

    assert decoded.closes == [order]


def test_close_reason_may_be_empty() -> None:
    order = CloseOrder(1, "c-1", closecodes.NORMAL, "")

    assert envelope.decode(envelope.encode("r1", [], [order])).closes == [order]


def test_newline_in_a_close_reason_cannot_split_the_envelope() -> None:
    order = CloseOrder(1, "c-1", closecodes.EDGE_LOST, "edge lost\nA injected")

    decoded = envelope.decode(envelope.encode("r1", [], [order]))

    assert decoded.broadcasts == []
    assert decoded.closes == [CloseOrder(1, "c-1", closecodes.EDGE_LOST, "edge lost A injected")]


def test_order_of_broadcasts_is_kept() -> None:
    texts = [protocol.encode({"type": "state", "n": n}) for n in range(20)]

    assert envelope.decode(envelope.encode("r1", texts, [])).broadcasts == texts


@pytest.mark.parametrize(
    "data",
    [
        "",
        "hello",
        "lobby\nA {}",
        "R\nA {}",
        "A {}\nR lobby",
        "R lobby\nX something",
        "R lobby\n",
        "R lobby\nC 1 c-1",
        "R lobby\nC seven c-1 4000 reason",
        "R lobby\nC 1 c-1 code reason",
    ],
)
def test_garbage_is_refused(data: str) -> None:
    with pytest.raises(ValueError):
        envelope.decode(data)
