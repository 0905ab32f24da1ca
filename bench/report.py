"""What a run prints, and the JSON it writes next to its PNG."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

KEYS = ("p50", "p95", "p99", "max")


def output_paths(out: Path, scenario: str, started: float) -> tuple[Path, Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started))
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{scenario}-{stamp}.json", out / f"{scenario}-{stamp}.png"


def write_json(path: Path, result: dict[str, Any]) -> None:
    path.write_text(json.dumps(result, indent=2, default=_plain, allow_nan=True) + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dist(figures: dict[str, Any], unit: str = "ms") -> str:
    if not figures.get("count"):
        return "no samples"
    parts = " ".join(f"{k} {figures[k]:.1f}" for k in KEYS)
    return f"{parts} {unit} (n={figures['count']:,}, mean {figures['mean']:.1f})"


def header(result: dict[str, Any]) -> list[str]:
    machine = result["machine"]
    config = result["config"]
    lines = [
        f"== bench {result['scenario']}  {result['started_at']}",
        f"machine   {machine['nproc']} CPUs, {machine['cpu_model']}, "
        f"{machine['memory_gb']} GB, kernel {machine['kernel']}, Python {machine['python']}, "
        f"load {machine['load_avg_1m']} before the run",
        f"stack     up in {result.get('stack_start_s', '?')} s; env "
        + " ".join(f"{k}={v}" for k, v in sorted(result.get("env", {}).items())),
    ]
    if result.get("workdir"):
        lines.append(f"logs      kept in {result['workdir']}/run")
    lines += [f"note      {note}" for note in config.get("notes", [])]
    users = result.get("users")
    if users:
        lines.append(f"users     {users['needed']:,}: {users['from_cache']:,} from the cache, "
                     f"{users['registered']:,} registered, {users['renewed']:,} logged in "
                     f"again, in {users['seconds']} s (before the measurement)")
    return lines


def moving_lines(result: dict[str, Any]) -> list[str]:
    config, conn, moves = result["config"], result["connections"], result["moves"]
    msgs, cpu, errors = result["messages"], result["cpu"], result["errors"]
    redis = result.get("redis_check", {})
    lines = [
        f"load      {config['clients']:,} clients in {config['rooms']:,} rooms, "
        f"{config['rate']:g} moves/s each, {result['window_s']:.1f} s, "
        f"{config['processes']} generator process(es)",
        f"connect   {conn['connected']:,} connected, {conn['joined']:,} joined in "
        f"{conn['seconds']} s, {conn['unsettled_rooms']} rooms not settled",
        f"  connect {dist(conn['connect_ms'])}",
        f"  join    {dist(conn['join_ms'])}",
        "edges     " + ", ".join(f"{k} {v:,}" for k, v in result.get("edges", {}).items()),
        f"LATENCY   {dist(result['latency_ms'])}",
        f"moves     sent {moves['sent']:,} ({moves['sent_per_s']:,.0f}/s of "
        f"{config['clients'] * config['rate']:,.0f}/s offered), applied "
        f"{moves['applied']:,}, LOST {moves['lost']:,} (+ "
        f"{moves['lost_with_closed_socket']:,} of players the server disconnected), "
        f"skipped by the generator {moves['skipped_by_generator']:,}",
        f"          judged by the {moves['members_connected_at_end']:,} of "
        f"{config['clients']:,} members still connected at the end; "
        f"{moves['members_out_of_step']:,} times a member missed a state or got one late",
        f"          last moves seen by every member {moves['drain_s']} s after the window"
        if moves["all_seen_before_drain_limit"] else
        f"          NOT every last move seen {moves['drain_s']} s after the window",
        f"redis     {redis.get('players_checked', 0):,} positions checked: "
        f"{redis.get('x_differs', 0)} differ, {redis.get('hash_missing', 0)} missing",
        f"messages  {msgs['delivered_in_window']:,} delivered in the window, "
        f"{msgs['per_s']:,.0f}/s; whole run by type {msgs['by_type']}",
        f"ping      {dist(result['ping_rtt_ms'])}",
        f"errors    {errors['error_frames']} error frames, unexpected closes "
        f"{errors['unexpected_closes'] or 'none'}, connect failures "
        f"{errors['connect_failures'] or 'none'}",
    ]
    if errors["first_unexpected_close_s"] is not None:
        lines.append(f"          first unexpected close {errors['first_unexpected_close_s']} s "
                     "after the first move")
    lines += [f"  e.g.    {e}" for e in errors["error_examples"][:3]]
    lines += process_lines(result["processes"])
    lines.append(f"CPU       server {cpu['server_cpu_s']} s in the window = "
                 f"{_ms(cpu['cpu_ms_per_1000_messages'])} CPU-ms per 1,000 delivered "
                 f"messages; generator {cpu['generator_cpu_s']} s")
    return lines


def process_lines(table: dict[str, dict[str, float]]) -> list[str]:
    lines = [f"{'process':<16}{'CPU s':>9}{'% core':>8}{'RSS start':>11}{'RSS end':>9}"
             f"{'RSS peak':>10}{'VmHWM':>8}  (MB)"]
    for name, f in table.items():
        lines.append(f"  {name:<14}{f['cpu_s']:>9.2f}{f['cpu_pct_of_core']:>8.1f}"
                     f"{f['rss_start_mb']:>11.1f}{f['rss_end_mb']:>9.1f}"
                     f"{f['rss_peak_sampled_mb']:>10.1f}{f['vm_hwm_mb']:>8.1f}")
    return lines


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def print_report(result: dict[str, Any], lines: list[str]) -> None:
    print("\n".join(header(result) + lines))
    files = result.get("files", {})
    if files:
        print(f"files     {files.get('json')}\n          {files.get('png')}")
