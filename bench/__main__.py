"""`python -m bench crowd|capacity|bigroom|quiet [options]`: run one load scenario.

Each run starts its own stack (auth, two edges, two workers, a private redis-server) on
loopback ports, so it aims at 127.0.0.1 only and touches no running system. It prints a
table and writes bench/results/<scenario>-<time>.json and .png.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench import procstats, report
from bench.settings import RESULTS, SCENARIOS, RunConfig

# Sockets per process: the generator holds one per client, the edges one per client too
# (they inherit this limit through supervisord), plus some to spare.
WANTED_FILES = 65536


def parse(argv: list[str]) -> RunConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--clients", type=int, help="clients (capacity: the most sockets)")
    parser.add_argument("--rooms", type=int, help="rooms the clients are dealt into")
    parser.add_argument("--rate", type=float, help="moves per second per client")
    parser.add_argument("--seconds", type=float,
                        help="length of the moving window (capacity: bound on the ramp)")
    parser.add_argument("--processes", type=int, help="generator processes")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results go")
    parser.add_argument("--drain", type=float, default=10.0,
                        help="longest wait for the last moves after the window")
    parser.add_argument("--ping-every", type=float, default=30.0,
                        help="seconds between a client's pings")
    parser.add_argument("--fresh-users", action="store_true",
                        help="ignore the cached users and register new ones")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the private stack's directory (logs, database)")
    ramp = parser.add_argument_group("capacity")
    ramp.add_argument("--step", type=int, default=1000, help="sockets added per step")
    ramp.add_argument("--hold", type=float, default=5.0, help="seconds each step is held")
    ramp.add_argument("--sample", type=int, default=200, help="sockets pinged per step")
    ramp.add_argument("--p99-limit", type=float, default=100.0,
                      help="stop when ping p99 passes this (ms)")
    ramp.add_argument("--room-size", type=int, default=10, help="sockets per room")
    args = parser.parse_args(argv)

    defaults: dict[str, Any] = dict(SCENARIOS[args.scenario])
    for name in ("clients", "rooms", "rate", "seconds", "processes"):
        if getattr(args, name) is not None:
            defaults[name] = getattr(args, name)
    config = RunConfig(scenario=args.scenario, out=args.out, drain_s=args.drain,
                       ping_every_s=args.ping_every, fresh_users=args.fresh_users,
                       keep_logs=args.keep_logs, step=args.step, hold_s=args.hold,
                       sample=args.sample, p99_limit_ms=args.p99_limit,
                       room_size=args.room_size, **defaults)
    try:
        config.validate()
    except ValueError as exc:
        parser.error(str(exc))
    return config


def raise_file_limit() -> int:
    """Lift RLIMIT_NOFILE to WANTED_FILES if allowed (root may raise the hard limit too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= WANTED_FILES:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, WANTED_FILES), hard))
    else:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (WANTED_FILES, WANTED_FILES))
        except (ValueError, OSError):  # not root: the hard limit is as far as it goes
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main(argv: list[str] | None = None) -> int:
    config = parse(sys.argv[1:] if argv is None else argv)
    files = raise_file_limit()
    started = time.time()
    machine = procstats.machine()
    json_path, png_path = report.output_paths(config.out, config.scenario, started)
    print(f"bench {config.scenario}: starting a private stack (results in {config.out})",
          flush=True)
    if config.scenario == "capacity":
        from bench import capacity

        figures, lines = capacity.run(config, png_path)
    else:
        from bench import plot
        from bench.scenarios import run_moving

        figures, latencies = run_moving(config)
        lines = report.moving_lines({**figures, "config": config.as_dict()})
        title = (f"{config.scenario}: {config.clients} clients, {config.rooms} rooms, "
                 f"{config.rate:g} moves/s each, {config.seconds:g} s")
        plot.latency_png(png_path, title, latencies)
    result = {
        "scenario": config.scenario,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": round(time.time() - started, 1),
        "machine": machine,
        "generator_file_limit": files,
        "config": config.as_dict(),
        **figures,
        "files": {"json": str(json_path), "png": str(png_path)},
    }
    report.write_json(json_path, result)
    report.print_report(result, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
