"""A room's state in Redis: loading it on takeover and committing each applied batch.

The commit is one script, so the position hashes, the members set, the acknowledgement of
the entries, the applied-id mark and the messages to the edges happen together or not at
all, and only while the worker's fencing token still holds the lease. A worker that dies
between two commits leaves its entries pending and unacknowledged; the next owner applies
them, and since their effects were never written, nothing is applied twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as redis

from common import keys
from common.events import as_number
from room_worker.rules import Outcome, Player

# KEYS: lease, events, applied, members, roster, then one player hash per operation.
# ARGV: token, group, last id, n acks, ids..., n ops, ops..., n publishes, (channel, data)...,
# n checkpoint fields, (field, value)... Returns 0 when fenced, else the checkpoint's entry id
# or 1.
# Operations: U player x y color roster-json | P x y | D player
_COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local i = 4
local n = tonumber(ARGV[i])
if n > 0 then redis.call('XACK', KEYS[2], ARGV[2], unpack(ARGV, i + 1, i + n)) end
i = i + n + 1
n = tonumber(ARGV[i])
i = i + 1
for k = 1, n do
  local key, op = KEYS[5 + k], ARGV[i]
  if op == 'U' then
    redis.call('SADD', KEYS[4], ARGV[i + 1])
    redis.call('HSET', key, 'x', ARGV[i + 2], 'y', ARGV[i + 3], 'color', ARGV[i + 4])
    redis.call('HSET', KEYS[5], ARGV[i + 1], ARGV[i + 5])
    i = i + 6
  elseif op == 'P' then
    redis.call('HSET', key, 'x', ARGV[i + 1], 'y', ARGV[i + 2])
    i = i + 3
  else
    redis.call('SREM', KEYS[4], ARGV[i + 1])
    redis.call('DEL', key)
    redis.call('HDEL', KEYS[5], ARGV[i + 1])
    i = i + 2
  end
end
redis.call('SET', KEYS[3], ARGV[3])
n = tonumber(ARGV[i])
for k = 1, n do
  redis.call('PUBLISH', ARGV[i + 2 * k - 1], ARGV[i + 2 * k])
end
i = i + 2 * n + 1
n = tonumber(ARGV[i])
if n > 0 then
  return redis.call('XADD', KEYS[2], '*', unpack(ARGV, i + 1, i + 2 * n))
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Batch:
    """What one commit writes: the effects of applying `acked` up to `last_id`."""

    acked: Sequence[str]
    last_id: str
    outcome: Outcome
    publishes: dict[str, str]
    # Stream fields of a checkpoint to append, or None.
    checkpoint: dict[str, str] | None = None


class RoomStore:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self._commit = client.register_script(_COMMIT)

    async def load(self, room_id: str, now_ms: int) -> tuple[dict[int, Player], str]:
        """Read a room's players and the last applied entry id ("0-0" for a new room).

        Last-seen times are not stored (writing them on every ping would double the write
        load), so a player loaded on takeover counts as seen at `now_ms`.
        """
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.smembers(keys.members(room_id))
            pipe.hgetall(keys.roster(room_id))
            pipe.get(keys.applied(room_id))
            member_ids, roster, applied = await pipe.execute()

        ids = sorted(int(m) for m in member_ids)
        async with self.redis.pipeline(transaction=True) as pipe:
            for player_id in ids:
                pipe.hgetall(keys.player(room_id, str(player_id)))
            hashes = await pipe.execute()

        players: dict[int, Player] = {}
        for player_id, position in zip(ids, hashes, strict=True):
            meta = json.loads(roster.get(str(player_id), "{}"))
            players[player_id] = Player(
                player_id=player_id,
                name=meta.get("name", ""),
                color=position.get("color", meta.get("color", "#888888")),
                x=as_number(float(position.get("x", "0"))),
                y=as_number(float(position.get("y", "0"))),
                edge=meta.get("edge", ""),
                conn=meta.get("conn", ""),
                seen_ms=now_ms,
            )
        return players, applied or "0-0"

    async def commit(self, room_id: str, token: str, batch: Batch) -> str | None:
        """Write one batch's effects; None if the lease is no longer this token's, else the
        entry id of the checkpoint written, or "" when the batch wrote none."""
        script_keys, args = self._commit_call(room_id, token, batch)
        return self._result(await self._commit(keys=script_keys, args=args), batch)

    @staticmethod
    def _result(result: object, batch: Batch) -> str | None:
        if result == 0:
            return None
        return str(result) if batch.checkpoint else ""

    @staticmethod
    def _commit_call(room_id: str, token: str,
                     batch: Batch) -> tuple[list[str], list[str | int | float]]:
        script_keys = [keys.lease(room_id), keys.events(room_id), keys.applied(room_id),
                       keys.members(room_id), keys.roster(room_id)]
        ops: list[str | float] = []
        players = batch.outcome.players
        for player_id in sorted(batch.outcome.touched):
            script_keys.append(keys.player(room_id, str(player_id)))
            player = players.get(player_id)
            if player is None:
                ops += ["D", player_id]
            elif player_id in batch.outcome.joined:
                ops += ["U", player_id, player.x, player.y, player.color, _roster(player)]
            else:
                ops += ["P", player.x, player.y]

        args: list[str | int | float] = [
            token, keys.WORKER_GROUP, batch.last_id, len(batch.acked), *batch.acked,
            len(batch.outcome.touched), *ops, len(batch.publishes),
        ]
        for channel, data in batch.publishes.items():
            args += [channel, data]
        checkpoint = batch.checkpoint or {}
        args.append(len(checkpoint))
        for name, value in checkpoint.items():
            args += [name, value]
        return script_keys, args

    async def commit_many(self, work: Sequence[tuple[str, str, Batch]]) -> list[str | None]:
        """Commit several rooms' batches in one round trip; one result each, as commit()."""
        if len(work) == 1:
            return [await self.commit(*work[0])]
        async with self.redis.pipeline(transaction=False) as pipe:
            for room_id, token, batch in work:
                script_keys, args = self._commit_call(room_id, token, batch)
                await self._commit(keys=script_keys, args=args, client=pipe)
            results = await pipe.execute()
        return [self._result(result, batch) for result, (_, _, batch) in
                zip(results, work, strict=True)]

    async def trim(self, room_id: str, before_id: str) -> None:
        """Drop history older than `before_id` (approximately: whole stream nodes only)."""
        await self.redis.xtrim(keys.events(room_id), minid=before_id, approximate=True)


def _roster(player: Player) -> str:
    return json.dumps({"name": player.name, "color": player.color, "edge": player.edge,
                       "conn": player.conn}, ensure_ascii=False, separators=(",", ":"))
