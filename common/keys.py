"""Every Redis key, stream and channel name the system uses, in one place.

The contract fixes the first two names: outside tools read them. Everything about one room
carries the literal hash tag `{room_id}` so that a Redis Cluster keeps a room on one shard.
Keys without a room (the indexes and presence sets) are only ever touched by single-key
commands, never together with a room's keys in one command or script.
"""

from __future__ import annotations

import re

ROOM_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Consumer group that room workers read every room stream through.
WORKER_GROUP = "room_workers"

# Sorted set: room id -> ms of the last join pushed; rooms that may need an owner.
ACTIVE_ROOMS = "rooms:active"
# Sorted sets: edge id / worker id -> ms when its presence expires.
LIVE_EDGES = "edges:live"
LIVE_WORKERS = "workers:live"
# Pub/Sub channel that tells workers to run an ownership round now (new room, handover).
WORKERS_WAKE = "workers:wake"


def members(room_id: str) -> str:
    return f"room:{{{room_id}}}:members"


def player(room_id: str, player_id: str) -> str:
    return f"room:{{{room_id}}}:player:{player_id}"


def events(room_id: str) -> str:
    """The room's stream of client events, pushed by edges and read by the owner."""
    return f"room:{{{room_id}}}:events"


def lease(room_id: str) -> str:
    """String `worker_id:fence` with a TTL: who may apply this room's events right now."""
    return f"room:{{{room_id}}}:lease"


def fence(room_id: str) -> str:
    """Counter bumped on every lease grant; a write carrying an older number is refused."""
    return f"room:{{{room_id}}}:fence"


def roster(room_id: str) -> str:
    """Hash player id -> JSON of what the owner needs beyond x, y, colour (edge, connection)."""
    return f"room:{{{room_id}}}:roster"


def applied(room_id: str) -> str:
    """String: the id of the last stream entry whose effect is written."""
    return f"room:{{{room_id}}}:applied"


def login_failures(account: str, address: str) -> tuple[str, str, str]:
    """Counters of failed logins: for an account from one address, for the account from
    anywhere, and for the address whatever the account."""
    return (f"auth:failures:pair:{address}:{account}", f"auth:failures:account:{account}",
            f"auth:failures:address:{address}")


def edge_channel(edge_id: str) -> str:
    """Pub/Sub channel an edge subscribes to for everything workers send its sockets."""
    return f"edge:{edge_id}"


def room_id_from_events(stream_key: str) -> str:
    """Invert `events()`: `room:{lobby}:events` -> `lobby`."""
    prefix, suffix = "room:{", "}:events"
    if not (stream_key.startswith(prefix) and stream_key.endswith(suffix)):
        raise ValueError(f"expected a key like {events('ROOM')!r}, got {stream_key!r}")
    return stream_key[len(prefix) : -len(suffix)]


def is_valid_room_id(room_id: str) -> bool:
    return ROOM_ID_PATTERN.fullmatch(room_id) is not None
