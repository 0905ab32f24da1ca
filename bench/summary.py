"""Turning what the generator processes collected into the figures a run reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99_9": 99.9}


def distribution(values: Floats | list[float]) -> dict[str, float | int]:
    """Count, mean, percentiles and max of a sample, in its own unit, rounded for reading."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return {"count": 0}
    figures: dict[str, float | int] = {"count": int(data.size),
                                       "mean": round(float(data.mean()), 3),
                                       "min": round(float(data.min()), 3)}
    for name, q in PERCENTILES.items():
        figures[name] = round(float(np.percentile(data, q)), 3)
    figures["max"] = round(float(data.max()), 3)
    return figures


@dataclass
class Latencies:
    """Every move latency of a run (ms) and when it was seen (s after the start)."""

    ms: Floats
    at_s: Floats

    @classmethod
    def gather(cls, results: Iterable[dict[str, Any]]) -> Latencies:
        parts = list(results)
        ms = [np.frombuffer(r["latency_ms"], dtype=np.float32) for r in parts]
        at = [np.frombuffer(r["at"], dtype=np.float32) for r in parts]
        return cls(np.concatenate(ms).astype(np.float64) if ms else np.zeros(0),
                   np.concatenate(at).astype(np.float64) if at else np.zeros(0))


def merge_counts(dicts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for counts in dicts:
        total.update(counts)
    return dict(total)


def cpu_table(between: dict[str, dict[str, float]], window_s: float,
              ) -> dict[str, dict[str, float]]:
    """Add each process's share of one core over the window."""
    for figures in between.values():
        figures["cpu_pct_of_core"] = round(100 * figures["cpu_s"] / window_s, 1)
    return between


def server_totals(procs: dict[str, dict[str, float]], messages: int) -> dict[str, float]:
    server = {name: f for name, f in procs.items() if not name.startswith("generator")}
    cpu_s = sum(f["cpu_s"] for f in server.values())
    return {
        "server_cpu_s": round(cpu_s, 3),
        "cpu_ms_per_1000_messages": round(cpu_s * 1000 / (messages / 1000), 3)
        if messages else float("nan"),
        "generator_cpu_s": round(sum(f["cpu_s"] for name, f in procs.items()
                                     if name.startswith("generator")), 3),
    }


def moving_summary(joined: list[dict[str, Any]], drained: list[dict[str, Any]],
                   results: list[dict[str, Any]], latencies: Latencies, window_s: float,
                   ) -> dict[str, Any]:
    """The figures of a run where clients move: latency, delivery, traffic, connections."""
    sent = sum(r["moves_sent"] for r in results)
    lost = sum(r["moves_lost"] for r in results)
    lost_closed = sum(r["moves_lost_closed"] for r in results)
    window_messages = sum(r["window_messages"] for r in results)
    return {
        "latency_ms": distribution(latencies.ms),
        "moves": {
            "sent": sent,
            "applied": sent - lost - lost_closed,
            # Unseen moves of players still connected: the figure that must be zero.
            "lost": lost,
            # Unseen moves of players whose socket the server closed (it said so).
            "lost_with_closed_socket": lost_closed,
            "members_connected_at_end": sum(r["members_at_end"] for r in results),
            "members_behind_at_end": sum(r["behind_pairs"] for r in results),
            # Times a member missed a state or got one out of turn (see bench/latency.py).
            "members_out_of_step": sum(r["out_of_step"] for r in results),
            "skipped_by_generator": sum(d["moves_skipped"] for d in drained),
            "sent_per_s": round(sum(d["moves_sent"] for d in drained) / window_s, 1),
            "drain_s": round(max(d["drain_s"] for d in drained), 3),
            "all_seen_before_drain_limit": all(d["caught_up"] for d in drained),
        },
        "messages": {
            "delivered_total": sum(r["messages"] for r in results),
            "delivered_in_window": window_messages,
            "per_s": round(window_messages / window_s, 1),
            "by_type": merge_counts(r["by_type"] for r in results),
        },
        "connections": connection_summary(joined),
        "ping_rtt_ms": distribution([x for r in results for x in r["ping_rtt_ms"]]),
        "errors": {
            "error_frames": sum(r["by_type"].get("error", 0) for r in results),
            "error_examples": [e for r in results for e in r["errors"]][:10],
            "unexpected_closes": merge_counts(r["unexpected_closes"] for r in results),
            # Seconds after the first move (negative: while joining).
            "first_unexpected_close_s": min(
                (round(r["first_unexpected_close_s"], 2) for r in results
                 if r["first_unexpected_close_s"] is not None), default=None),
            "connect_failures": merge_counts(j["failures"] for j in joined),
        },
    }


def connection_summary(joined: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "connected": sum(len(j["connect_ms"]) for j in joined),
        "joined": sum(len(j["join_ms"]) for j in joined),
        "unsettled_rooms": sum(j["unsettled"] for j in joined),
        "connect_ms": distribution([x for j in joined for x in j["connect_ms"]]),
        "join_ms": distribution([x for j in joined for x in j["join_ms"]]),
        "seconds": round(max((j["seconds"] for j in joined), default=0.0), 2),
    }
