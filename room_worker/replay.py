"""`python -m room_worker.replay ROOM_ID`: what happened in a room, event by event.

Reads the room's stream and applies its entries through the same room rules the workers
run, printing one line per entry: time, entry id, player, event and its effect. Works on a
running system or on Redis alone, and on a room that has emptied.

Exit status: 0 fine, 1 `--check` found differences, 2 the replay could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import redis.asyncio as redis

from common import keys
from common.config import get_settings
from common.events import BadEntry, decode, entry_key
from common.redis_client import UNAVAILABLE
from room_worker import checkpoint, timeline
from room_worker.history import HistoryError, LivePlayer, RoomHistory
from room_worker.rules import Player, apply_batch, state_message

ID_RE = re.compile(r"^(\d+)(?:-(\d+))?$")
MAX_SEQ = 2**64 - 1


@dataclass
class Replay:
    """The room as replayed so far."""

    players: dict[int, Player]
    applied: int = 0

    def advance(self, entry_id: str, fields: dict[str, str] | None) -> timeline.Step:
        if checkpoint.is_checkpoint(fields):
            assert fields is not None
            as_of, recorded = checkpoint.decode(fields)
            agrees = _positions(recorded) == _positions(self.players)
            detail = f"checkpoint of {len(recorded)} players as of {as_of}" + (
                "" if agrees else "; it DISAGREES with the replay")
            return timeline.note(entry_id, "checkpoint", detail)
        try:
            event = decode(entry_id, fields or {})
        except BadEntry as exc:
            return timeline.note(entry_id, "skipped", f"skipped, as the worker does: {exc}")
        outcome = apply_batch(self.players, [event])
        step = timeline.describe(event, self.players, outcome)
        self.players = outcome.players
        self.applied += 1
        return step


def _positions(players: dict[int, Player]) -> dict[int, tuple[float, float, str]]:
    return {p.player_id: (p.x, p.y, p.color) for p in players.values()}


def parse_point(text: str | None, *, end: bool) -> str | None:
    """A stream id, a millisecond timestamp or an ISO time, as a full stream id."""
    if text is None:
        return None
    match = ID_RE.fullmatch(text)
    if match:
        ms, seq = match.groups()
        return f"{ms}-{seq if seq is not None else (MAX_SEQ if end else 0)}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HistoryError(f"{text!r} is neither a stream id (1700000000000-0) nor an ISO "
                           "time (2026-12-04T16:03:05Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = int(moment.timestamp() * 1000)
    return f"{ms}-{MAX_SEQ if end else 0}"


def compare(replayed: dict[int, Player], live: dict[int, LivePlayer],
            orphans: set[int]) -> list[str]:
    """Every difference between the replayed room and Redis, one sentence each."""
    problems = []
    for player_id in sorted(replayed.keys() | live.keys() | orphans):
        mine, stored = replayed.get(player_id), live.get(player_id)
        if player_id in orphans:
            problems.append(f"player {player_id}: a position hash exists but the player is "
                            "not in the members set")
        elif mine is None:
            problems.append(f"player {player_id}: in Redis but not in the replay")
        elif stored is None:
            problems.append(f"player {player_id}: in the replay at ({mine.x:g}, {mine.y:g}) "
                            "but missing from Redis")
        elif stored.x is None or stored.y is None:
            problems.append(f"player {player_id}: a member without a position hash")
        elif (stored.x, stored.y) != (mine.x, mine.y) or stored.color != mine.color:
            problems.append(
                f"player {player_id}: Redis has ({stored.x:g}, {stored.y:g}) {stored.color}, "
                f"the replay gives ({mine.x:g}, {mine.y:g}) {mine.color}")
    return problems


async def orphan_hashes(client: redis.Redis, room_id: str, members: set[int]) -> set[int]:
    prefix = keys.player(room_id, "")
    found = set()
    async for key in client.scan_iter(match=prefix.replace("{", "[{]") + "*", count=1000):
        suffix = str(key)[len(prefix):]
        if suffix.isdigit() and int(suffix) not in members:
            found.add(int(suffix))
    return found


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    client = redis.Redis.from_url(args.redis_url or get_settings().redis_url,
                                  decode_responses=True, socket_connect_timeout=3)
    try:
        return await _replay(client, args, out, err)
    finally:
        await client.aclose()


async def _replay(client: redis.Redis, args: argparse.Namespace, out: TextIO,
                  err: TextIO) -> int:
    history = RoomHistory(client, args.room_id)
    from_id = parse_point(args.from_, end=False)
    to_id = parse_point(args.to, end=True)
    if from_id and to_id and entry_key(from_id) > entry_key(to_id):
        raise HistoryError(f"--from {args.from_} comes after --to {args.to}")
    live: dict[int, LivePlayer] = {}
    if args.check:
        to_id, live = await history.live_state()

    start = await history.start_before(from_id)
    if start.from_checkpoint:
        print(f"history before the range was trimmed; starting from checkpoint "
              f"{start.from_checkpoint} (state as of {start.base_id})", file=err)
    replay = Replay(dict(start.players))
    show = not (args.state or args.check)

    def emit(entry_id: str, fields: dict[str, str] | None) -> None:
        step = replay.advance(entry_id, fields)
        shown = from_id is None or entry_key(entry_id) >= entry_key(from_id)
        if not (show and shown) or (args.player is not None and step.player_id != args.player):
            return
        if args.json:
            row = step.as_json()
            if args.with_state:
                row["state"] = state_message(replay.players.values())["players"]
            print(json.dumps(row, ensure_ascii=False), file=out, flush=True)
        else:
            print(step.as_text(), file=out, flush=True)

    last = start.base_id
    if to_id is None or entry_key(to_id) > entry_key(start.base_id):
        async for entry_id, fields in history.entries(start.base_id, to_id):
            emit(entry_id, fields)
            last = entry_id
    if args.follow:
        async for entry_id, fields in history.follow(last):
            emit(entry_id, fields)

    if args.state:
        _print_state(args, replay, last, out)
    if args.check:
        orphans = await orphan_hashes(client, args.room_id, set(live))
        problems = compare(replay.players, live, orphans)
        for problem in problems:
            print(f"DIFFERENT {problem}", file=out)
        verdict = "differs from" if problems else "matches"
        print(f"check: the replay of {replay.applied} events up to {to_id} {verdict} Redis "
              f"({_players(len(live))} stored)", file=out)
        return 1 if problems else 0
    return 0


def _print_state(args: argparse.Namespace, replay: Replay, last: str, out: TextIO) -> None:
    players = state_message(replay.players.values())["players"]
    if args.json:
        row: dict[str, Any] = {"room_id": args.room_id, "as_of": last, "players": players}
        print(json.dumps(row, ensure_ascii=False), file=out)
        return
    print(f"room {args.room_id} as of {last}: {_players(len(players))}", file=out)
    for p in players:
        print(f"  player {p['player_id']} ({p['username']}) at ({p['x']:g}, {p['y']:g}) "
              f"colour {p['color']}", file=out)


def _players(count: int) -> str:
    return f"{count} player" if count == 1 else f"{count} players"


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m room_worker.replay", description=__doc__.split("\n\n")[1],
        epilog="Range points are stream ids (1796400190983-0), millisecond times, or ISO "
               "times (2026-12-04T16:03:05Z; without a zone, UTC).")
    cli.add_argument("room_id")
    cli.add_argument("--from", dest="from_", metavar="POINT", help="first entry to show")
    cli.add_argument("--to", metavar="POINT", help="last entry to apply")
    cli.add_argument("--player", type=int, help="show only this player's entries")
    cli.add_argument("--json", action="store_true", help="one JSON object per line")
    cli.add_argument("--with-state", action="store_true",
                     help="with --json: add the room's players after each entry")
    cli.add_argument("--follow", action="store_true", help="keep tailing the live room")
    cli.add_argument("--state", action="store_true", help="print only the final state")
    cli.add_argument("--check", action="store_true",
                     help="compare the replay with the live position hashes; exit 1 if "
                          "they differ")
    cli.add_argument("--redis-url", help="default: REDIS_URL from the settings")
    return cli


def main() -> None:
    args = parser().parse_args()
    if args.check and (args.to or args.follow):
        parser().error("--check replays up to what the owner applied; drop --to/--follow")
    try:
        code = asyncio.run(run(args, sys.stdout, sys.stderr))
    except HistoryError as exc:
        print(f"replay: {exc}", file=sys.stderr)
        code = 2
    except UNAVAILABLE as exc:
        print(f"replay: cannot reach Redis ({exc})", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    main()
