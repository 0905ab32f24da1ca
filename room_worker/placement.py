"""Which live worker should own a room: rendezvous (highest random weight) hashing.

Every worker computes the same answer from the same set of live workers, without talking to
the others. When a worker joins or leaves, only the rooms whose top choice changes move:
about 1/N of them, where N is the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import blake2b


def preferred_owner(room_id: str, workers: Iterable[str]) -> str | None:
    """The worker that should own `room_id`, or None when no worker is alive."""
    return max(workers, key=lambda worker: _weight(room_id, worker), default=None)


def _weight(room_id: str, worker: str) -> int:
    digest = blake2b(f"{worker}\0{room_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
