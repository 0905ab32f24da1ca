"""The room rules: what a batch of events does to a room and what players are told."""

from __future__ import annotations

from typing import Any

from common import closecodes
from common.events import Event, Join, Kick, Leave, Move, Ping
from room_worker.rules import (
    Close,
    Player,
    apply_batch,
    players_on_dead_edges,
    silent_players,
)

EDGE = "edge-a"


def join(ms: int, player_id: int, conn: str, color: str = "#112233",
         edge: str = EDGE) -> Join:
    return Join(f"{ms}-0", player_id, conn, edge, f"p{player_id}", color)


def move(ms: int, player_id: int, conn: str, x: float, y: float) -> Move:
    return Move(f"{ms}-0", player_id, conn, EDGE, x, y)


def ping(ms: int, player_id: int, conn: str) -> Ping:
    return Ping(f"{ms}-0", player_id, conn, EDGE)


def leave(ms: int, player_id: int, conn: str) -> Leave:
    return Leave(f"{ms}-0", player_id, conn, EDGE, "socket closed")


def kick(ms: int, player_id: int, conn: str, seen_ms: int,
         code: int = closecodes.HEARTBEAT_TIMEOUT) -> Kick:
    return Kick(f"{ms}-0", player_id, conn, "worker-1", "silent too long", code, seen_ms)


def player(player_id: int, conn: str, seen_ms: int = 100, edge: str = EDGE,
           x: float = 0, y: float = 0) -> Player:
    return Player(player_id, f"p{player_id}", "#abcdef", x, y, edge, conn, seen_ms)


def room(*players: Player) -> dict[int, Player]:
    return {p.player_id: p for p in players}


def kinds(broadcasts: list[dict[str, Any]]) -> list[str]:
    return [message["type"] for message in broadcasts]


def test_join_adds_the_player_at_the_origin_with_its_colour() -> None:
    out = apply_batch({}, [join(1000, 7, "c-7", color="#ff0000")])

    assert out.players == {7: Player(7, "p7", "#ff0000", 0, 0, EDGE, "c-7", 1000)}
    assert kinds(out.broadcasts) == ["join", "state"]
    assert out.broadcasts[0] == {"type": "join", "player_id": 7, "username": "p7",
                                 "color": "#ff0000"}
    assert out.broadcasts[1]["players"] == [
        {"player_id": 7, "x": 0, "y": 0, "color": "#ff0000", "username": "p7"}
    ]
    assert out.closes == []


def test_many_moves_end_with_one_state_at_the_last_position() -> None:
    moves = [move(1000 + n, 7, "c-7", n, -n) for n in range(50)]

    out = apply_batch(room(player(7, "c-7")), moves)

    assert kinds(out.broadcasts) == ["state"]
    assert out.broadcasts[0]["players"] == [
        {"player_id": 7, "x": 49, "y": -49, "color": "#abcdef", "username": "p7"}
    ]
    assert (out.players[7].x, out.players[7].y, out.players[7].seen_ms) == (49, -49, 1049)


def test_the_input_room_is_not_changed() -> None:
    before = room(player(7, "c-7"), player(8, "c-8"))
    snapshot = dict(before)

    apply_batch(before, [move(200, 7, "c-7", 5, 5), leave(201, 8, "c-8"), join(202, 9, "c-9")])

    assert before == snapshot


def test_the_same_join_seen_twice_changes_nothing() -> None:
    start = room(player(7, "c-7", seen_ms=100, x=3, y=4))

    out = apply_batch(start, [join(500, 7, "c-7")])

    assert out.players == start
    assert out.broadcasts == []
    assert out.closes == []
    assert out.ignored == 1
    assert out.touched == set()


def test_join_from_a_new_socket_replaces_the_old_one_and_closes_it() -> None:
    start = room(player(7, "c-old", edge="edge-b", x=3, y=4))

    out = apply_batch(start, [join(500, 7, "c-new")])

    assert out.closes == [Close(7, "c-old", "edge-b", closecodes.REPLACED,
                                "replaced by a newer connection")]
    assert out.players[7].conn == "c-new"
    assert out.players[7].edge == EDGE
    assert kinds(out.broadcasts) == ["join", "state"]
    assert [p["player_id"] for p in out.broadcasts[-1]["players"]] == [7]


def test_leave_removes_the_player_and_tells_the_room() -> None:
    out = apply_batch(room(player(7, "c-7"), player(8, "c-8")), [leave(500, 7, "c-7")])

    assert list(out.players) == [8]
    assert out.broadcasts[0] == {"type": "leave", "player_id": 7}
    assert kinds(out.broadcasts) == ["leave", "state"]
    assert [p["player_id"] for p in out.broadcasts[1]["players"]] == [8]
    assert out.touched == {7}


def test_last_player_leaving_broadcasts_an_empty_state() -> None:
    out = apply_batch(room(player(7, "c-7")), [leave(500, 7, "c-7")])

    assert out.players == {}
    assert out.broadcasts[-1] == {"type": "state", "players": []}


def test_leave_from_a_stale_socket_is_ignored() -> None:
    start = room(player(7, "c-new"))

    out = apply_batch(start, [leave(500, 7, "c-old")])

    assert out.players == start
    assert out.broadcasts == []
    assert out.closes == []
    assert out.ignored == 1


def test_move_from_stale_socket_is_ignored_and_closes_it() -> None:
    start = room(player(7, "c-new", x=1, y=1))

    out = apply_batch(start, [move(500, 7, "c-old", 9, 9)])

    assert out.players == start
    assert out.broadcasts == []
    assert out.closes == [Close(7, "c-old", EDGE, closecodes.NOT_IN_ROOM,
                                "no longer in this room")]
    assert out.ignored == 1


def test_ping_from_stale_socket_is_ignored_and_closes_it() -> None:
    out = apply_batch(room(player(7, "c-new")), [ping(500, 7, "c-old")])

    assert [c.code for c in out.closes] == [closecodes.NOT_IN_ROOM]
    assert out.players[7].seen_ms == 100


def test_move_from_a_player_not_in_the_room_changes_nothing_and_closes_nothing() -> None:
    # Either a close order for that socket is already on its way, or Redis lost the room
    # and the socket's edge will join it again: closing it now would cut off a player.
    out = apply_batch({}, [move(500, 9, "c-9", 1, 1)])

    assert out.players == {}
    assert out.closes == []
    assert out.ignored == 1


def test_ping_updates_seen_time_without_a_broadcast() -> None:
    out = apply_batch(room(player(7, "c-7", seen_ms=100)), [ping(900, 7, "c-7")])

    assert out.players[7].seen_ms == 900
    assert out.broadcasts == []
    assert out.touched == set()


def test_heartbeat_kick_is_ignored_when_the_player_spoke_after_it() -> None:
    start = room(player(7, "c-7", seen_ms=100))

    out = apply_batch(start, [ping(300, 7, "c-7"), kick(400, 7, "c-7", seen_ms=100)])

    assert 7 in out.players
    assert out.broadcasts == []
    assert out.closes == []
    assert out.ignored == 1


def test_heartbeat_kick_removes_a_player_silent_since_it_was_decided() -> None:
    start = room(player(7, "c-7", seen_ms=100, edge="edge-b"))

    out = apply_batch(start, [kick(61_000, 7, "c-7", seen_ms=100)])

    assert out.players == {}
    assert kinds(out.broadcasts) == ["leave", "state"]
    assert out.closes == [Close(7, "c-7", "edge-b", closecodes.HEARTBEAT_TIMEOUT,
                                "silent too long")]


def test_kick_for_a_lost_edge_applies_even_after_recent_activity() -> None:
    start = room(player(7, "c-7", seen_ms=5000, edge="edge-b"))

    out = apply_batch(start, [kick(6000, 7, "c-7", seen_ms=100, code=closecodes.EDGE_LOST)])

    assert out.players == {}
    assert out.closes == [Close(7, "c-7", "edge-b", closecodes.EDGE_LOST, "silent too long")]


def test_kick_aimed_at_a_replaced_socket_is_ignored() -> None:
    start = room(player(7, "c-new", seen_ms=100))

    out = apply_batch(start, [kick(61_000, 7, "c-old", seen_ms=100)])

    assert out.players == start
    assert out.closes == []
    assert out.ignored == 1


def test_touched_holds_moved_and_joined_players_and_joined_only_new_ones() -> None:
    start = room(player(2, "c-2"), player(3, "c-3"))

    out = apply_batch(start, [join(500, 1, "c-1"), move(501, 2, "c-2", 4, 4),
                              ping(502, 3, "c-3")])

    assert out.touched == {1, 2}
    assert out.joined == {1}


def test_player_who_joins_and_leaves_in_one_batch_is_touched_but_not_joined() -> None:
    out = apply_batch({}, [join(500, 1, "c-1"), leave(501, 1, "c-1")])

    assert out.players == {}
    assert out.touched == {1}
    assert out.joined == set()
    assert kinds(out.broadcasts) == ["join", "leave", "state"]


def test_state_lists_players_sorted_by_id() -> None:
    start = room(player(30, "c-30"), player(4, "c-4"), player(100, "c-100"))

    out = apply_batch(start, [join(500, 17, "c-17"), move(501, 4, "c-4", 1, 2)])

    assert [p["player_id"] for p in out.broadcasts[-1]["players"]] == [4, 17, 30, 100]


def test_silent_players_are_those_quiet_longer_than_the_timeout() -> None:
    players = [player(1, "c-1", seen_ms=1000), player(2, "c-2", seen_ms=5000),
               player(3, "c-3", seen_ms=3999)]

    silent = silent_players(players, now_ms=8000, timeout_ms=4000)

    assert [p.player_id for p in silent] == [1, 3]


def test_player_quiet_exactly_the_timeout_is_not_yet_silent() -> None:
    assert silent_players([player(1, "c-1", seen_ms=4000)], now_ms=8000, timeout_ms=4000) == []


def test_players_on_dead_edges_are_those_whose_edge_is_not_live() -> None:
    players = [player(1, "c-1", edge="edge-a"), player(2, "c-2", edge="edge-b"),
               player(3, "c-3", edge="edge-c")]

    lost = players_on_dead_edges(players, live_edges={"edge-b"})

    assert [p.player_id for p in lost] == [1, 3]
    assert players_on_dead_edges(players, {"edge-a", "edge-b", "edge-c"}) == []


def test_same_events_from_the_same_start_give_the_same_outcome() -> None:
    start = room(player(1, "c-1"), player(2, "c-2", edge="edge-b"))
    batch: list[Event] = [
        join(500, 3, "c-3", color="#00ff00"), move(501, 1, "c-1", 2.5, -1),
        join(502, 2, "c-2b"), ping(503, 3, "c-3"), move(504, 2, "c-2", 9, 9),
        kick(505, 1, "c-1", seen_ms=100), leave(506, 3, "c-3"),
    ]

    first = apply_batch(start, batch)
    second = apply_batch(start, batch)

    assert first == second
    assert first.broadcasts == second.broadcasts
    assert first.closes == second.closes
