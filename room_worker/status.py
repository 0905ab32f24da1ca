"""`python -m room_worker.status`: the live workers and edges, and every active room with its
owner, players, stream length, lag and pending entries, read from Redis.

Exit status 0, or 2 when Redis cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any, TextIO

import redis.asyncio as redis

from common import keys
from common.config import get_settings
from common.redis_client import UNAVAILABLE


@dataclass(frozen=True, slots=True)
class RoomRow:
    room_id: str
    owner: str
    players: int
    stream_length: int
    # Entries in the stream that the owner has not read yet, and read but not acknowledged.
    lag: int
    pending: int


@dataclass(frozen=True, slots=True)
class Status:
    workers: dict[str, int]  # worker id -> rooms it owns
    edges: list[str]
    rooms: list[RoomRow]


async def collect(client: redis.Redis) -> Status:
    seconds, micros = await client.time()
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    workers = sorted(str(w) for w in await client.zrangebyscore(keys.LIVE_WORKERS, now_ms,
                                                                "+inf"))
    edges = sorted(str(e) for e in await client.zrangebyscore(keys.LIVE_EDGES, now_ms, "+inf"))
    room_ids = sorted(str(r) for r in await client.zrange(keys.ACTIVE_ROOMS, 0, -1))

    rows = [await _room(client, room_id) for room_id in room_ids]
    owned = {worker: 0 for worker in workers}
    for row in rows:
        if row.owner in owned:
            owned[row.owner] += 1
    return Status(owned, edges, rows)


async def _room(client: redis.Redis, room_id: str) -> RoomRow:
    async with client.pipeline(transaction=True) as pipe:
        pipe.get(keys.lease(room_id))
        pipe.scard(keys.members(room_id))
        pipe.xlen(keys.events(room_id))
        lease, players, length = await pipe.execute()
    lag = pending = 0
    try:
        groups: list[dict[str, Any]] = await client.xinfo_groups(keys.events(room_id))
    except redis.ResponseError:
        groups = []  # no stream yet
    for group in groups:
        if group["name"] == keys.WORKER_GROUP:
            lag, pending = int(group.get("lag") or 0), int(group["pending"])
    owner = str(lease).rsplit(":", 1)[0] if lease else "-"
    return RoomRow(room_id, owner, int(players), int(length), lag, pending)


def render(status: Status, out: TextIO) -> None:
    print(f"workers ({len(status.workers)} live)", file=out)
    for worker, count in status.workers.items():
        print(f"  {worker:<36} {count:>6} room{'' if count == 1 else 's'}", file=out)
    print(f"edges ({len(status.edges)} live)", file=out)
    for edge in status.edges:
        print(f"  {edge}", file=out)
    print(f"rooms ({len(status.rooms)} active)", file=out)
    header = f"  {'room':<24} {'owner':<36} {'players':>7} {'stream':>7} {'lag':>5} {'pending':>7}"
    print(header, file=out)
    for r in status.rooms:
        print(f"  {r.room_id:<24} {r.owner:<36} {r.players:>7} {r.stream_length:>7} "
              f"{r.lag:>5} {r.pending:>7}", file=out)


async def run(redis_url: str, as_json: bool, out: TextIO) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_connect_timeout=3)
    try:
        status = await collect(client)
    finally:
        await client.aclose()
    if as_json:
        print(json.dumps(asdict(status), indent=2), file=out)
    else:
        render(status, out)


def main() -> None:
    cli = argparse.ArgumentParser(prog="python -m room_worker.status",
                                  description=__doc__.split("\n\n")[0])
    cli.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cli.add_argument("--redis-url", help="default: REDIS_URL from the settings")
    args = cli.parse_args()
    try:
        asyncio.run(run(args.redis_url or get_settings().redis_url, args.json, sys.stdout))
    except UNAVAILABLE as exc:
        print(f"status: cannot reach Redis ({exc})", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
