"""The client protocol: parsing frames clients send and encoding what the server sends.

Parsing is strict so that nothing a client sends can put a value into Redis or into another
client's frame that is not plain, finite JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

# Coordinates outside this square are refused: big enough for any map, small enough that
# every value survives a round trip through Redis and JSON unchanged.
WORLD_LIMIT = 1_000_000.0


class ProtocolError(ValueError):
    """A frame the server does not understand; the text is sent back to the client."""


@dataclass(frozen=True, slots=True)
class Move:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Ping:
    pass


ClientFrame = Move | Ping
PING = Ping()


def parse_frame(text: str) -> ClientFrame:
    """Parse one text frame from a client or raise ProtocolError saying what is wrong."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"frame is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"frame must be a JSON object, got {type(data).__name__}")

    kind = data.get("type")
    if kind == "move":
        _expect_keys(data, {"type", "x", "y"})
        return Move(_coordinate(data, "x"), _coordinate(data, "y"))
    if kind == "ping":
        _expect_keys(data, {"type"})
        return PING
    if kind is None:
        raise ProtocolError('frame has no "type"; expected "move" or "ping"')
    raise ProtocolError(f'unknown type {str(kind)[:32]!r}; expected "move" or "ping"')


def _expect_keys(data: dict[str, Any], allowed: set[str]) -> None:
    missing = allowed - data.keys()
    if missing:
        raise ProtocolError(f"{data['type']} frame is missing {', '.join(sorted(missing))}")
    extra = data.keys() - allowed
    if extra:
        names = ", ".join(sorted(str(k)[:32] for k in extra)[:5])
        raise ProtocolError(f"{data['type']} frame has unexpected fields: {names}")


def _coordinate(data: dict[str, Any], name: str) -> float:
    value = data[name]
    # bool is an int subclass in Python, but true is not a coordinate.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{name} must be a number, got {type(value).__name__}")
    if isinstance(value, int):
        if abs(value) > WORLD_LIMIT:
            raise ProtocolError(f"{name} must be within ±{WORLD_LIMIT:g}")
        return value
    if not math.isfinite(value) or abs(value) > WORLD_LIMIT:
        raise ProtocolError(f"{name} must be a finite number within ±{WORLD_LIMIT:g}")
    return value


def encode(message: dict[str, Any]) -> str:
    """Serialise a server message once; the same text goes to every socket that gets it."""
    return orjson.dumps(message).decode()


PONG_TEXT = encode({"type": "pong"})


def error_text(reason: str) -> str:
    return encode({"type": "error", "reason": reason})
