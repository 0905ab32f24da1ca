"""capacity: how many idle, logged-in sockets the edges hold before they slow down.

Sockets are added in steps (rooms of --room-size), each kept alive by a ping every
--ping-every seconds like a real idle client. After each step has been held, a random
sample of sockets pings and the round trip is measured. The ramp stops at the first step
whose ping p99 passes --p99-limit, that has any failure or unexpected close, at --clients
sockets, or when the --seconds bound would be passed. Each edge's RSS growth is divided
by the sockets it holds (from the rooms' rosters in Redis) to give memory per socket.

Each generator process connects from its own loopback source address (127.0.0.2, .3,
...), so no address runs out of ephemeral ports (about 28,000 each here).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench import plot, procstats
from bench.fleet import Fleet
from bench.redisview import edge_spread
from bench.report import dist, process_lines
from bench.scenarios import deal, plan_rooms, private_stack
from bench.settings import RunConfig
from bench.summary import connection_summary, cpu_table, distribution, merge_counts

# Per process, far under the ~28,000 ephemeral ports of one source address.
MAX_PER_SOURCE = 25_000
PROBE_ROUNDS = 2
PROBE_SPREAD_S = 1.0


def run(config: RunConfig, png_path: Path) -> tuple[dict[str, Any], list[str]]:
    processes = max(config.processes, -(-config.clients // MAX_PER_SOURCE))
    with private_stack(config, config.clients) as (stack, users, info):
        # The bound covers the ramp; users were made (or taken from the cache) before it.
        started = time.monotonic()
        deadline = started + config.seconds
        rooms = plan_rooms(users, max(1, config.clients // config.room_size), "cap")
        fleet = Fleet(processes, stack.ws_url(""), deadline + 60)
        steps: list[dict[str, Any]] = []
        stopped = "the largest count (--clients)"
        try:
            watch = procstats.Watch({**stack.server_pids(), **fleet.pids})
            watch.mark("base")
            edges = stack.edge_pids()
            info["edge_file_limits"] = {n: procstats.fd_limit(p) for n, p in edges.items()}
            fleet.everyone(("idle", config.ping_every_s, deadline + 30), timeout_s=10)
            per_step = max(1, config.step // config.room_size)
            added = 0
            while added < len(rooms):
                # A step takes about as long as the last one; do not start one that
                # would end past the bound.
                last_s = steps[-1]["seconds"] if steps else 0.0
                if time.monotonic() + last_s > deadline:
                    stopped = "the time bound (--seconds)"
                    break
                batch, added = rooms[added:added + per_step], added + per_step
                step = one_step(config, stack.redis_url, fleet, watch, edges, batch,
                                [r.room_id for r in rooms[:added]])
                steps.append(step)
                print(f"  {step['sockets']:>6,} sockets: ping {dist(step['ping_ms'])}; "
                      f"join p99 {step['join_ms'].get('p99', 0):.0f} ms", flush=True)
                if failed(step):
                    stopped = "failures, unexpected closes or unanswered pings"
                    break
                if step["ping_ms"].get("p99", 0) > config.p99_limit_ms:
                    stopped = f"ping p99 over {config.p99_limit_ms:g} ms"
                    break
            watch.mark("end")
        finally:
            fleet.shutdown(timeout_s=60)

    ok = [s for s in steps if not failed(s) and s["ping_ms"].get("p99", 0) <= config.p99_limit_ms]
    ramp_s = time.monotonic() - started
    figures = {**info, "steps": steps, "stopped_by": stopped,
               "capacity_sockets": ok[-1]["sockets"] if ok else 0,
               "ramp_s": round(ramp_s, 1),
               "processes": cpu_table(watch.between("base", "end"), ramp_s)}
    title = f"capacity: up to {config.clients:,} idle sockets, steps of {config.step:,}"
    plot.capacity_png(png_path, title, steps)
    return figures, lines(figures, config)


def failed(step: dict[str, Any]) -> bool:
    return bool(step["failures"] or step["unexpected_closes"] or step["pings_unanswered"])


def one_step(config: RunConfig, redis_url: str, fleet: Fleet, watch: procstats.Watch,
             edges: dict[str, int], batch: list[Any], room_ids: list[str]) -> dict[str, Any]:
    began = time.monotonic()
    commands = [("join", part, f"127.0.0.{2 + n}", config.connect_concurrency, 60.0)
                if part else None for n, part in enumerate(deal(batch, len(fleet)))]
    joined = [j for j in fleet.call(commands, timeout_s=240, idle=watch.sample) if j]
    hold_until = time.monotonic() + config.hold_s
    while time.monotonic() < hold_until:
        watch.sample(every_s=0.2)
        time.sleep(0.1)
    per_process = max(1, config.sample // len(fleet))
    probes = fleet.everyone(("probe", per_process, PROBE_ROUNDS, PROBE_SPREAD_S), 30,
                            idle=watch.sample)
    counts = fleet.everyone(("counts",), timeout_s=30)
    spread = edge_spread(redis_url, room_ids)
    base = watch.marks["base"]
    edge_figures: dict[str, dict[str, float]] = {}
    for name, pid in edges.items():
        reading = procstats.read(pid)
        if reading is None or name not in base:
            continue
        held = spread.get(name, 0)
        grown_kb = reading.rss_kb - base[name].rss_kb
        edge_figures[name] = {
            "sockets": held, "rss_mb": round(reading.rss_kb / 1024, 1),
            "rss_growth_mb": round(grown_kb / 1024, 1),
            "kb_per_socket": round(grown_kb / held, 2) if held else 0.0,
            "open_files": procstats.open_fds(pid),
        }
    connections = connection_summary(joined)
    return {
        "sockets": sum(c["alive"] for c in counts),
        "seconds": round(time.monotonic() - began, 2),
        "ping_ms": distribution([x for p in probes for x in p["rtts"]]),
        "pings_unanswered": sum(p["unanswered"] for p in probes),
        "connect_ms": connections["connect_ms"], "join_ms": connections["join_ms"],
        "failures": merge_counts(j["failures"] for j in joined),
        "unexpected_closes": merge_counts(c["unexpected_closes"] for c in counts),
        "error_frames": sum(c["errors"] for c in counts),
        "edges": edge_figures,
    }


def lines(figures: dict[str, Any], config: RunConfig) -> list[str]:
    out = [f"ramp      steps of {config.step:,} sockets in rooms of {config.room_size}, "
           f"held {config.hold_s:g} s, {config.sample} sampled pings x {PROBE_ROUNDS}, "
           f"pings every {config.ping_every_s:g} s; {figures['ramp_s']} s",
           f"edge fd limits {figures.get('edge_file_limits')}",
           f"{'sockets':>9}{'ping p50':>10}{'p99':>8}{'max':>8}{'join p99':>10}"
           f"  per edge: sockets, RSS MB, KB/socket"]
    for step in figures["steps"]:
        ping = step["ping_ms"]
        per_edge = "; ".join(f"{n} {e['sockets']:,} {e['rss_mb']:.0f} {e['kb_per_socket']:.1f}"
                             for n, e in step["edges"].items())
        out.append(f"{step['sockets']:>9,}{ping.get('p50', 0):>10.1f}{ping.get('p99', 0):>8.1f}"
                   f"{ping.get('max', 0):>8.1f}{step['join_ms'].get('p99', 0):>10.0f}  "
                   f"{per_edge}")
        if failed(step):
            out.append(f"{'':>9}failures {step['failures']}, closes "
                       f"{step['unexpected_closes']}, unanswered pings "
                       f"{step['pings_unanswered']}")
    out.append(f"CAPACITY  {figures['capacity_sockets']:,} sockets with ping p99 under "
               f"{config.p99_limit_ms:g} ms and no errors; stopped by {figures['stopped_by']}")
    if figures["steps"]:
        last = figures["steps"][-1]["edges"]
        out.append("memory    " + ", ".join(f"{n}: {e['kb_per_socket']:.1f} KB per socket "
                                            f"({e['rss_growth_mb']} MB for {e['sockets']:,})"
                                            for n, e in last.items()))
    out += process_lines(figures["processes"])
    return out
