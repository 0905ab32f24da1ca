"""Checkpoints: a room's whole state, written into its own stream now and then.

A stream is trimmed to STREAM_MAXLEN entries, so its oldest events disappear. A checkpoint
entry records every player (with the last-seen time the rules need) as of a given applied
entry id; the replay tool starts from the latest checkpoint before the range it is asked
for, and applies what follows through the same rules. Workers acknowledge checkpoints and
otherwise ignore them.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from common.events import F_TYPE
from room_worker.rules import Player

KIND = "checkpoint"


def is_checkpoint(fields: dict[str, str] | None) -> bool:
    return bool(fields) and fields.get(F_TYPE) == KIND  # type: ignore[union-attr]


def encode(as_of: str, players: dict[int, Player]) -> dict[str, str]:
    """Stream fields for a checkpoint of `players` after applying entry `as_of`."""
    rows = [asdict(player) for player in sorted(players.values(), key=lambda p: p.player_id)]
    return {F_TYPE: KIND, "as_of": as_of,
            "players": json.dumps(rows, ensure_ascii=False, separators=(",", ":"))}


def decode(fields: dict[str, str]) -> tuple[str, dict[int, Player]]:
    """The applied entry id and the players of a checkpoint entry; ValueError if garbled."""
    try:
        rows = json.loads(fields["players"])
        players = {int(row["player_id"]): Player(**row) for row in rows}
        return fields["as_of"], players
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"checkpoint entry is garbled: {exc}") from None
