"""Redis key names: the contract fixes some of them exactly."""

from __future__ import annotations

import pytest

from common import keys


def test_members_key_is_named_as_the_contract_says() -> None:
    assert keys.members("lobby") == "room:{lobby}:members"


def test_player_key_is_named_as_the_contract_says() -> None:
    assert keys.player("lobby", "7") == "room:{lobby}:player:7"


def test_every_room_key_carries_the_room_as_a_literal_hash_tag() -> None:
    names = [
        keys.members("r-1"), keys.player("r-1", "2"), keys.events("r-1"), keys.lease("r-1"),
        keys.fence("r-1"), keys.roster("r-1"), keys.applied("r-1"),
    ]

    assert all(name.startswith("room:{r-1}:") for name in names)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("room_id", ["lobby", "a", "Room_42-b", "x" * 64])
def test_room_id_from_events_inverts_events(room_id: str) -> None:
    assert keys.room_id_from_events(keys.events(room_id)) == room_id


@pytest.mark.parametrize(
    "key", ["room:{lobby}:members", "room:lobby:events", "lobby", "", "rooms:{lobby}:events"]
)
def test_room_id_from_a_key_that_is_no_stream_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="expected a key like"):
        keys.room_id_from_events(key)


@pytest.mark.parametrize("room_id", ["lobby", "a", "A-z_0-9", "x" * 64, "123"])
def test_room_ids_of_letters_digits_dash_and_underscore_are_valid(room_id: str) -> None:
    assert keys.is_valid_room_id(room_id)


@pytest.mark.parametrize(
    "room_id",
    ["", "x" * 65, "a b", "a{b}", "a}", "a:b", "a/b", "lobby\n", "l\u00f3bby", "a.b", "*"],
)
def test_room_ids_outside_the_pattern_are_invalid(room_id: str) -> None:
    assert not keys.is_valid_room_id(room_id)


def test_edge_channel_names_the_edge() -> None:
    assert keys.edge_channel("edge-2") == "edge:edge-2"
