"""What the private Redis says about a run: where sockets landed, where players stand.

Read with redis-py from the run's own redis-server, through the contract's key names
(common/keys.py), never from the machine's shared Redis.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import redis

from bench.stack import edge_name_of
from common import keys


def edge_spread(redis_url: str, room_ids: list[str]) -> dict[str, int]:
    """Players per edge, from each room's roster (the owner's record of every socket)."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        with client.pipeline(transaction=False) as pipe:
            for room_id in room_ids:
                pipe.hvals(keys.roster(room_id))
            rosters = pipe.execute()
    finally:
        client.close()
    spread: Counter[str] = Counter()
    for values in rosters:
        for value in values:
            spread[edge_name_of(str(json.loads(value).get("edge", "?")))] += 1
    return dict(sorted(spread.items()))


def check_positions(redis_url: str, last: dict[str, dict[int, tuple[int, bool]]],
                    ) -> dict[str, Any]:
    """Compare each connected player's stored x with the last move it sent.

    `last` maps room -> player -> (last sequence sent, socket still open). A closed
    socket's player was removed, hash and all, so only open ones are compared.
    """
    wanted = [(room_id, player_id, seq) for room_id, players in last.items()
              for player_id, (seq, alive) in players.items() if alive]
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        with client.pipeline(transaction=False) as pipe:
            for room_id, player_id, _ in wanted:
                pipe.hget(keys.player(room_id, str(player_id)), "x")
            stored = pipe.execute()
    finally:
        client.close()
    behind = missing = 0
    examples: list[str] = []
    for (room_id, player_id, seq), value in zip(wanted, stored, strict=True):
        if value is None:
            missing += 1
        elif int(float(value)) != seq:
            behind += 1
        else:
            continue
        if len(examples) < 5:
            examples.append(f"room {room_id} player {player_id}: sent {seq}, Redis {value}")
    return {"players_checked": len(wanted), "x_differs": behind, "hash_missing": missing,
            "examples": examples}
