"""Room events as they travel in a room's stream, and their encoding as stream fields.

Edges write join, move, ping and leave; the owning worker writes kick. Each entry carries
everything needed to apply it again later without the edge: the player, the socket
(`conn`), the edge, and the payload. Time is the entry id's millisecond part, set by Redis,
so every process and the replay tool agree on one clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Player ids are user ids; anything past this could not be sent to a JavaScript client intact.
MAX_PLAYER_ID = 2**53 - 1

# Names of the stream fields, kept short because every entry repeats them.
F_TYPE, F_PLAYER, F_CONN, F_EDGE = "type", "player", "conn", "edge"


class BadEntry(ValueError):
    """A stream entry that cannot be understood: logged, acknowledged and skipped."""


@dataclass(frozen=True, slots=True)
class Event:
    entry_id: str
    player_id: int
    conn: str
    edge: str

    @property
    def at_ms(self) -> int:
        return entry_ms(self.entry_id)


@dataclass(frozen=True, slots=True)
class Join(Event):
    """A socket joins. A rejoin re-announces a socket Redis may have lost (see the edge's
    resync): it restores the player where the socket last put it, never over a newer one."""

    name: str
    color: str
    x: float = 0
    y: float = 0
    rejoin: bool = False
    # The room's player cap when the edge pushed the join (0: none), so that replaying
    # old history applies the cap that held then.
    cap: int = 0


@dataclass(frozen=True, slots=True)
class Move(Event):
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Ping(Event):
    pass


@dataclass(frozen=True, slots=True)
class Leave(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class Kick(Event):
    """Written by the owner: remove this socket's player unless it spoke since `seen_ms`."""

    reason: str
    code: int
    seen_ms: int


def entry_ms(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


def entry_key(entry_id: str) -> tuple[int, int]:
    """Sort key of a stream id: `1700000000000-3` -> (1700000000000, 3)."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def fields_join(player_id: int, conn: str, edge: str, name: str, color: str,
                cap: int = 0) -> dict[str, str]:
    return {F_TYPE: "join", F_PLAYER: str(player_id), F_CONN: conn, F_EDGE: edge,
            "name": name, "color": color, "cap": str(cap)}


def fields_rejoin(player_id: int, conn: str, edge: str, name: str, color: str, x: float,
                  y: float, cap: int = 0) -> dict[str, str]:
    fields = fields_join(player_id, conn, edge, name, color, cap)
    fields.update(rejoin="1", x=repr(x), y=repr(y))
    return fields


def fields_move(player_id: int, conn: str, edge: str, x: float, y: float) -> dict[str, str]:
    return {F_TYPE: "move", F_PLAYER: str(player_id), F_CONN: conn, F_EDGE: edge,
            "x": repr(x), "y": repr(y)}


def fields_ping(player_id: int, conn: str, edge: str) -> dict[str, str]:
    return {F_TYPE: "ping", F_PLAYER: str(player_id), F_CONN: conn, F_EDGE: edge}


def fields_leave(player_id: int, conn: str, edge: str, reason: str) -> dict[str, str]:
    return {F_TYPE: "leave", F_PLAYER: str(player_id), F_CONN: conn, F_EDGE: edge,
            "reason": reason}


def fields_kick(player_id: int, conn: str, edge: str, reason: str, code: int,
                seen_ms: int) -> dict[str, str]:
    return {F_TYPE: "kick", F_PLAYER: str(player_id), F_CONN: conn, F_EDGE: edge,
            "reason": reason, "code": str(code), "seen": str(seen_ms)}


def decode(entry_id: str, fields: dict[str, str]) -> Event:
    """Turn one stream entry back into an event, or raise BadEntry naming what is wrong."""
    try:
        kind = fields[F_TYPE]
        player_id = int(fields[F_PLAYER])
        if not 0 < player_id <= MAX_PLAYER_ID:
            raise BadEntry(f"entry {entry_id}: player id {fields[F_PLAYER][:24]} is out of range")
        conn, edge = fields[F_CONN], fields[F_EDGE]
        if kind == "move":
            x, y = _position(entry_id, fields)
            return Move(entry_id, player_id, conn, edge, x, y)
        if kind == "ping":
            return Ping(entry_id, player_id, conn, edge)
        if kind == "join":
            cap = int(fields.get("cap", "0"))
            if fields.get("rejoin") != "1":
                return Join(entry_id, player_id, conn, edge, fields["name"], fields["color"],
                            cap=cap)
            x, y = _position(entry_id, fields)
            return Join(entry_id, player_id, conn, edge, fields["name"], fields["color"], x, y,
                        rejoin=True, cap=cap)
        if kind == "leave":
            return Leave(entry_id, player_id, conn, edge, fields["reason"])
        if kind == "kick":
            return Kick(entry_id, player_id, conn, edge, fields["reason"],
                        int(fields["code"]), int(fields["seen"]))
    except KeyError as exc:
        raise BadEntry(f"entry {entry_id}: field {exc.args[0]!r} is missing") from None
    except ValueError as exc:
        if isinstance(exc, BadEntry):
            raise
        raise BadEntry(f"entry {entry_id}: {exc}") from None
    raise BadEntry(f"entry {entry_id}: unknown type {kind[:32]!r}")


def _position(entry_id: str, fields: dict[str, str]) -> tuple[float, float]:
    x, y = float(fields["x"]), float(fields["y"])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise BadEntry(f"entry {entry_id}: non-finite position")
    return as_number(x), as_number(y)


def as_number(value: float) -> float:
    """Keep whole numbers whole so `40` stays `40` and not `40.0` in what clients see."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
