"""What a worker publishes to an edge's channel, and how the edge reads it back.

One publish carries one room's output of one batch, as lines:

    R <room_id>
    A <message JSON>                       every local socket of the room gets this text
    C <player_id> <conn> <code> <reason>   close that one socket with that code

Message JSON is compact and never holds a raw newline, and room ids, connection ids and
codes hold no spaces, so splitting on lines and spaces is exact. The edge hands the text of
an `A` line as it is to every socket: it is encoded once, by the worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CloseOrder:
    player_id: int
    conn: str
    code: int
    reason: str


@dataclass(slots=True)
class Envelope:
    room_id: str
    broadcasts: list[str] = field(default_factory=list)
    closes: list[CloseOrder] = field(default_factory=list)


def encode(room_id: str, broadcasts: list[str], closes: list[CloseOrder]) -> str:
    lines = [f"R {room_id}"]
    lines.extend(f"A {text}" for text in broadcasts)
    lines.extend(
        f"C {c.player_id} {c.conn} {c.code} {c.reason.replace(chr(10), ' ')}" for c in closes
    )
    return "\n".join(lines)


def decode(data: str) -> Envelope:
    """Parse an envelope; raise ValueError if it does not start with a room line."""
    lines = data.split("\n")
    head = lines[0]
    if not head.startswith("R "):
        raise ValueError(f"envelope must start with 'R <room_id>', got {head[:40]!r}")

    envelope = Envelope(head[2:])
    for line in lines[1:]:
        if line.startswith("A "):
            envelope.broadcasts.append(line[2:])
        elif line.startswith("C "):
            player, conn, code, reason = line[2:].split(" ", 3)
            envelope.closes.append(CloseOrder(int(player), conn, int(code), reason))
        else:
            raise ValueError(f"unknown envelope line {line[:40]!r}")
    return envelope
