"""The run's picture: latency distribution and latency over time (capacity: the ramp)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from bench.summary import Latencies

# Log axes read better as 2, 10, 100 than as 2 x 10^0.
PLAIN = FuncFormatter(lambda value, _: f"{value:g}")
# A scatter of millions of points says no more than this many, and takes minutes.
SCATTER_POINTS = 30_000


def latency_png(path: Path, title: str, latencies: Latencies) -> None:
    fig, (hist, over) = plt.subplots(1, 2, figsize=(14, 5))
    ms = latencies.ms
    if ms.size:
        low = max(float(ms.min()), 0.01)
        bins = np.logspace(np.log10(low), np.log10(max(float(ms.max()), low * 1.01)), 80)
        hist.hist(ms, bins=bins, color="#3c7ddd")
        hist.set_xscale("log")
        hist.xaxis.set_major_formatter(PLAIN)
        for q, style in ((50, "-"), (99, "--")):
            value = float(np.percentile(ms, q))
            hist.axvline(value, color="#dd4f3c", linestyle=style, label=f"p{q} {value:.1f} ms")
        hist.legend()
        _over_time(over, latencies)
    hist.set(title="move latency distribution", xlabel="latency (ms, log)",
             ylabel="moves x receivers")
    over.set(title="latency over time", xlabel="seconds since the first move",
             ylabel="latency (ms, log)")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _over_time(axes: Any, latencies: Latencies) -> None:
    ms, at = latencies.ms, latencies.at_s
    rng = np.random.default_rng(0)
    pick = rng.choice(ms.size, size=min(ms.size, SCATTER_POINTS), replace=False)
    axes.scatter(at[pick], ms[pick], s=2, alpha=0.25, color="#3c7ddd", label="sampled moves")
    # Percentiles per second show the trend the cloud of points hides.
    seconds = np.floor(at).astype(np.int64)
    order = np.argsort(seconds, kind="stable")
    edges = np.searchsorted(seconds[order], np.arange(seconds.min(), seconds.max() + 2))
    xs, p50, p99 = [], [], []
    for n in range(len(edges) - 1):
        chunk = ms[order[edges[n]:edges[n + 1]]]
        if chunk.size:
            xs.append(seconds.min() + n + 0.5)
            p50.append(np.percentile(chunk, 50))
            p99.append(np.percentile(chunk, 99))
    axes.plot(xs, p50, color="#222222", label="p50 per second")
    axes.plot(xs, p99, color="#dd4f3c", label="p99 per second")
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(PLAIN)
    axes.legend(loc="upper left")


def capacity_png(path: Path, title: str, steps: list[dict[str, Any]]) -> None:
    fig, (ping, memory) = plt.subplots(1, 2, figsize=(14, 5))
    counts = [s["sockets"] for s in steps]
    for key, style in (("p50", "-"), ("p99", "--")):
        ping.plot(counts, [s["ping_ms"].get(key, np.nan) for s in steps], style, marker="o",
                  label=f"ping {key}")
    ping.set(title="ping round trip vs open sockets", xlabel="open sockets",
             ylabel="ms")
    ping.legend()
    edges = sorted({name for s in steps for name in s["edges"]})
    for name in edges:
        memory.plot(counts, [s["edges"].get(name, {}).get("rss_mb", np.nan) for s in steps],
                    marker="o", label=f"{name} RSS")
    memory.set(title="edge memory vs open sockets", xlabel="open sockets", ylabel="MB")
    memory.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
