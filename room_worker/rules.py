"""The room rules: how events change a room and what the players are told.

Pure functions: no I/O, no clock, no randomness. Time arrives inside each event (its stream
id) and colours arrive in the join, so the live worker and the replay tool get the same
answer from the same entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from common import closecodes
from common.events import Event, Join, Kick, Leave, Move, Ping


@dataclass(frozen=True, slots=True)
class Player:
    player_id: int
    name: str
    color: str
    x: float
    y: float
    edge: str
    conn: str
    seen_ms: int


@dataclass(frozen=True, slots=True)
class Close:
    """Ask the player's edge to close one socket."""

    player_id: int
    conn: str
    edge: str
    code: int
    reason: str


@dataclass(slots=True)
class Outcome:
    """What a batch of events did: the new players and what to write and send."""

    players: dict[int, Player]
    # Players whose stored record changed: present ones are written, absent ones deleted.
    touched: set[int] = field(default_factory=set)
    # Players whose roster entry (name, colour, edge, socket) changed, not only the position.
    joined: set[int] = field(default_factory=set)
    # Messages for every socket in the room, in order.
    broadcasts: list[dict[str, Any]] = field(default_factory=list)
    closes: list[Close] = field(default_factory=list)
    ignored: int = 0


def apply_batch(players: dict[int, Player], events: Sequence[Event]) -> Outcome:
    """Apply events in stream order to the room's players; the input dict is not changed.

    A batch ends with one `state` message when anything visible changed, so a burst of
    moves costs one broadcast instead of one per move.
    """
    out = Outcome(players=dict(players))
    for event in events:
        _apply(out, event)

    if out.touched:
        out.broadcasts.append(state_message(out.players.values()))
    return out


def _apply(out: Outcome, event: Event) -> None:
    current = out.players.get(event.player_id)
    is_current = current is not None and current.conn == event.conn

    if isinstance(event, Join):
        _join(out, event, current)
    elif not is_current:
        _stale(out, event, current)
    elif isinstance(event, Move):
        assert current is not None
        out.players[event.player_id] = replace(
            current, x=event.x, y=event.y, seen_ms=event.at_ms
        )
        out.touched.add(event.player_id)
    elif isinstance(event, Ping):
        assert current is not None
        out.players[event.player_id] = replace(current, seen_ms=event.at_ms)
    elif isinstance(event, Leave):
        _remove(out, event.player_id)
    elif isinstance(event, Kick):
        assert current is not None
        # A kick is decided on a snapshot; if the player spoke after it, it no longer holds.
        if event.code == closecodes.HEARTBEAT_TIMEOUT and current.seen_ms > event.seen_ms:
            out.ignored += 1
            return
        _remove(out, event.player_id)
        out.closes.append(
            Close(event.player_id, current.conn, current.edge, event.code, event.reason)
        )


def _join(out: Outcome, event: Join, current: Player | None) -> None:
    if current is not None and current.conn == event.conn:
        out.ignored += 1  # the same join seen twice changes nothing
        return
    if current is not None and event.rejoin:
        # The player opened a newer socket while this one was out of touch: it stays out.
        out.ignored += 1
        out.closes.append(Close(event.player_id, event.conn, event.edge, closecodes.REPLACED,
                                "replaced by a newer connection"))
        return
    if current is None and event.cap and len(out.players) >= event.cap:
        out.ignored += 1
        out.closes.append(Close(event.player_id, event.conn, event.edge, closecodes.ROOM_FULL,
                                f"room is full ({event.cap} players)"))
        return
    if current is not None:
        # One player, two sockets: the newer wins and the older is told why it closes.
        out.closes.append(Close(
            current.player_id, current.conn, current.edge, closecodes.REPLACED,
            "replaced by a newer connection",
        ))

    out.players[event.player_id] = Player(
        player_id=event.player_id, name=event.name, color=event.color, x=event.x, y=event.y,
        edge=event.edge, conn=event.conn, seen_ms=event.at_ms,
    )
    out.touched.add(event.player_id)
    out.joined.add(event.player_id)
    out.broadcasts.append(join_message(out.players[event.player_id]))


def _remove(out: Outcome, player_id: int) -> None:
    del out.players[player_id]
    out.touched.add(player_id)
    out.joined.discard(player_id)
    out.broadcasts.append({"type": "leave", "player_id": player_id})


def _stale(out: Outcome, event: Event, current: Player | None) -> None:
    """An event from a socket the room does not list: change nothing.

    If the player is on a newer socket, this one is told to close. If the player is not in
    the room at all, nothing is said: either the socket was removed and its close order is on
    its way, or Redis lost the room and the socket's edge is about to join it again; closing
    it here would cut off a player who is about to be restored.
    """
    out.ignored += 1
    if current is not None and isinstance(event, (Move, Ping)):
        out.closes.append(Close(
            event.player_id, event.conn, event.edge, closecodes.NOT_IN_ROOM,
            "no longer in this room",
        ))


def join_message(player: Player) -> dict[str, Any]:
    return {"type": "join", "player_id": player.player_id, "username": player.name,
            "color": player.color}


def state_message(players: Iterable[Player]) -> dict[str, Any]:
    ordered = sorted(players, key=lambda p: p.player_id)
    return {"type": "state", "players": [
        {"player_id": p.player_id, "x": p.x, "y": p.y, "color": p.color, "username": p.name}
        for p in ordered
    ]}


def silent_players(players: Iterable[Player], now_ms: int, timeout_ms: int) -> list[Player]:
    """Players whose last event is older than the timeout at `now_ms`."""
    return [p for p in players if now_ms - p.seen_ms > timeout_ms]


def players_on_dead_edges(players: Iterable[Player], live_edges: set[str]) -> list[Player]:
    return [p for p in players if p.edge not in live_edges]
