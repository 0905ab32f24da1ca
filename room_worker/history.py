"""Reading a room's history from Redis for the replay tool: its stream, its checkpoints and
its live state. Only reads: nothing here writes to Redis.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as redis

from common import keys
from room_worker import checkpoint
from room_worker.rules import Player

Entry = tuple[str, dict[str, str]]

# Reads the applied mark, members and their hashes of one room in one atomic step, so the
# check compares with a state that really existed.
_LIVE_STATE = """
local members = redis.call('SMEMBERS', KEYS[1])
local out = {redis.call('GET', KEYS[2]) or '0-0'}
for _, member in ipairs(members) do
  local hash = redis.call('HGETALL', ARGV[1] .. member)
  table.insert(out, member)
  table.insert(out, cjson.encode(hash))
end
return out
"""

PAGE = 500


class HistoryError(Exception):
    """Replay cannot answer: the message says why, for the person who asked."""


@dataclass(frozen=True, slots=True)
class Start:
    """Where a replay begins: the players as of `base_id` (exclusive start of the entries)."""

    base_id: str
    players: dict[int, Player]
    # Set when history before the range was trimmed and a checkpoint stands in for it.
    from_checkpoint: str | None = None


@dataclass(frozen=True, slots=True)
class LivePlayer:
    x: float | None
    y: float | None
    color: str | None


class RoomHistory:
    def __init__(self, client: redis.Redis, room_id: str) -> None:
        self.redis = client
        self.room_id = room_id
        self.stream = keys.events(room_id)

    async def bounds(self) -> tuple[str, str, bool]:
        """First and last entry ids, and whether older entries were trimmed away."""
        if not await self.redis.exists(self.stream):
            raise HistoryError(
                f"room {self.room_id!r} has no stream in Redis: it never existed here, or "
                "it stayed empty for longer than ROOM_RETENTION_S and its history expired"
            )
        info: dict[str, Any] = await self.redis.xinfo_stream(self.stream)
        if not info.get("length"):
            raise HistoryError(f"the stream of room {self.room_id!r} is empty")
        first = info["first-entry"][0]
        last = info["last-entry"][0]
        # Redis 7 counts every entry ever added; fewer left means some were trimmed (or
        # deleted). Older servers cannot tell, and are taken as untrimmed.
        trimmed = int(info.get("entries-added", info["length"])) > int(info["length"])
        return str(first), str(last), trimmed

    async def start_before(self, from_id: str | None) -> Start:
        """The latest known state at or before `from_id` (the whole stream when None)."""
        first, _, trimmed = await self.bounds()
        if not trimmed:
            return Start(base_id="0-0", players={})

        # Walk back from the range start to the nearest checkpoint.
        upper = from_id or "+"
        while True:
            page = cast(list[Entry], await self.redis.xrevrange(
                self.stream, max=upper, min="-", count=PAGE))
            for entry_id, fields in page:
                if checkpoint.is_checkpoint(fields):
                    as_of, players = checkpoint.decode(fields)
                    return Start(as_of, players, from_checkpoint=entry_id)
            if len(page) < PAGE:
                break
            upper = f"({page[-1][0]}"
        if from_id is None:
            return await self._oldest_checkpoint(first)
        raise HistoryError(
            f"the range starts at {from_id}, but room {self.room_id!r}'s stream was trimmed "
            f"and now begins at {first}, with no checkpoint before {from_id}; ask for a later "
            "start"
        )

    async def _oldest_checkpoint(self, first: str) -> Start:
        async for entry_id, fields in self.entries("0-0", None):
            if checkpoint.is_checkpoint(fields):
                as_of, players = checkpoint.decode(fields)
                return Start(as_of, players, from_checkpoint=entry_id)
        raise HistoryError(
            f"room {self.room_id!r}'s stream was trimmed (it now begins at {first}) and holds "
            "no checkpoint to start from"
        )

    async def entries(self, after_id: str, to_id: str | None) -> AsyncIterator[Entry]:
        """Entries after `after_id` up to `to_id` (inclusive; the end when None), in order."""
        lower = f"({after_id}" if after_id != "0-0" else "-"
        while True:
            page = cast(list[Entry], await self.redis.xrange(
                self.stream, min=lower, max=to_id or "+", count=PAGE))
            for entry in page:
                yield entry
            if len(page) < PAGE:
                return
            lower = f"({page[-1][0]}"

    async def follow(self, after_id: str, block_ms: int = 5000) -> AsyncIterator[Entry]:
        """New entries as they arrive, for ever."""
        last = after_id
        while True:
            reply = await self.redis.xread({self.stream: last}, count=PAGE, block=block_ms)
            for _, entries in cast(list[tuple[str, list[Entry]]], reply or []):
                for entry in entries:
                    last = entry[0]
                    yield entry

    async def live_state(self) -> tuple[str, dict[int, LivePlayer]]:
        """The applied entry id and every member's stored position, read atomically."""
        script = self.redis.register_script(_LIVE_STATE)
        reply = await script(keys=[keys.members(self.room_id), keys.applied(self.room_id)],
                             args=[keys.player(self.room_id, "")])
        applied, rest = str(reply[0]), reply[1:]
        players = {}
        for member, encoded in zip(rest[::2], rest[1::2], strict=True):
            players[int(member)] = _live_player(encoded)
        return applied, players


def _live_player(encoded: str) -> LivePlayer:
    flat = json.loads(encoded)
    values = dict(zip(flat[::2], flat[1::2], strict=True)) if isinstance(flat, list) else {}
    x, y = values.get("x"), values.get("y")
    return LivePlayer(float(x) if x is not None else None,
                      float(y) if y is not None else None, values.get("color"))
