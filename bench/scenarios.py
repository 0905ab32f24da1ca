"""crowd, bigroom and quiet: clients in rooms move at a fixed rate, and every move's
latency to every other member is measured (capacity is in bench/capacity.py).

One run: start a private stack, make the users, connect every client and wait until each
room is whole, move from t0 to t1, wait (bounded) for the last moves to arrive, check the
positions in Redis while the sockets are still open, collect, close, stop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import procstats
from bench.fleet import Fleet
from bench.generator import RoomSpec
from bench.redisview import check_positions, edge_spread
from bench.settings import RunConfig
from bench.stack import Stack
from bench.summary import Latencies, cpu_table, moving_summary, server_totals
from bench.users import User, UserPool

# Seconds between the last generator saying it is ready and the first move: enough for
# every process to be waiting on its clock.
LEAD_S = 1.0


def plan_rooms(users: list[User], rooms: int, prefix: str) -> list[RoomSpec]:
    """Deal the users into rooms as evenly as possible: user n goes to room n % rooms."""
    members: list[list[tuple[int, str]]] = [[] for _ in range(rooms)]
    for n, user in enumerate(users):
        members[n % rooms].append((user.player_id, user.token))
    return [RoomSpec(f"{prefix}-{n}", group) for n, group in enumerate(members)]


def deal(rooms: list[RoomSpec], processes: int) -> list[list[RoomSpec]]:
    """Rooms to processes, whole rooms only, so a room's clocks are one process's clock."""
    return [rooms[n::processes] for n in range(processes)]


@contextmanager
def private_stack(config: RunConfig, users_needed: int,
                  ) -> Iterator[tuple[Stack, list[User], dict[str, Any]]]:
    """A started stack and its users; stops it and keeps the users whatever happens."""
    stack = Stack(config.server_env(), keep_dir=config.keep_logs)
    pool = UserPool(stack.users_db, fresh=config.fresh_users)
    cached = pool.restore()
    # The key is the benchmark's own and public, but keys stay out of results all the same.
    info: dict[str, Any] = {"env": {k: v for k, v in stack.env.items() if k != "SECRET_KEY"},
                            "workdir": str(stack.workdir) if config.keep_logs else None}
    ok = False
    try:
        started = time.monotonic()
        stack.start()
        info["stack_start_s"] = round(time.monotonic() - started, 2)
        users = asyncio.run(pool.ensure(stack.auth_url, users_needed))
        info["users"] = {"needed": users_needed, "from_cache": min(cached, users_needed),
                         "registered": pool.created, "renewed": pool.renewed,
                         "seconds": round(pool.seconds, 2)}
        yield stack, users, info
        ok = True
    finally:
        if not ok:
            print(f"--- server logs (kept in {stack.workdir}):\n{stack.logs()}")
            stack.keep_dir = True
        stack.stop()
        pool.save()
        stack.cleanup()


def run_moving(config: RunConfig) -> tuple[dict[str, Any], Latencies]:
    """Run crowd, bigroom or quiet; returns the report's figures and the raw latencies."""
    settle_s = 30 + config.clients / 50
    join_s = settle_s + 120
    go_s = config.seconds + config.drain_s + 60
    with private_stack(config, config.clients) as (stack, users, info):
        rooms = plan_rooms(users, config.rooms, config.scenario)
        processes = min(config.processes, len(rooms))
        # The generators' own deadline: every step below, at its longest, and a margin.
        fleet = Fleet(processes, stack.ws_url(""), time.monotonic() + join_s + go_s + 180)
        try:
            watch = procstats.Watch({**stack.server_pids(), **fleet.pids})
            # Joining many clients can outlast the server's silence timeout: the ones in
            # already ping as idle clients would until the moves begin.
            fleet.everyone(("idle", config.ping_every_s, time.monotonic() + join_s + 60), 10)
            joined = fleet.call([("join", part, None, config.connect_concurrency, settle_s)
                                 for part in deal(rooms, processes)],
                                timeout_s=join_s, idle=watch.sample)
            info["edges"] = edge_spread(stack.redis_url, [r.room_id for r in rooms])

            t0 = time.monotonic() + LEAD_S
            t1 = t0 + config.seconds
            window = Window(watch, t0, t1)
            drained = fleet.everyone(
                ("go", t0, t1, config.rate, config.ping_every_s, config.drain_s),
                timeout_s=go_s, idle=window.tick)
            window.tick()  # the answers come after t1, so this marks the end if not yet
            last = {room: players for d in drained for room, players in d["last"].items()}
            info["redis_check"] = check_positions(stack.redis_url, last)
            results = fleet.everyone(("result",), timeout_s=120)
        finally:
            fleet.shutdown()

    latencies = Latencies.gather(results)
    window_s = window.seconds
    figures = moving_summary(joined, drained, results, latencies, window_s)
    processes_table = cpu_table(watch.between("start", "end"), window_s)
    figures["cpu"] = server_totals(processes_table, figures["messages"]["delivered_in_window"])
    figures["processes"] = processes_table
    figures["window_s"] = round(window_s, 3)
    return {**info, **figures}, latencies


class Window:
    """Marks the measured window on the server processes' counters as the parent waits."""

    def __init__(self, watch: procstats.Watch, t0: float, t1: float) -> None:
        self.watch = watch
        self.t0, self.t1 = t0, t1
        self.started: float | None = None
        self.ended: float | None = None

    def tick(self) -> None:
        now = time.monotonic()
        if self.started is None and now >= self.t0:
            self.watch.mark("start")
            self.started = now
        if self.started is not None and self.ended is None and now >= self.t1:
            self.watch.mark("end")
            self.ended = now
        self.watch.sample()

    @property
    def seconds(self) -> float:
        if self.started is None or self.ended is None:
            return self.t1 - self.t0
        return self.ended - self.started
