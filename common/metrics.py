"""Prometheus metrics of every process, correct across several processes.

Under supervisord every process gets PROMETHEUS_MULTIPROC_DIR (run/metrics): each writes its
samples to files there, and `/metrics` on auth or on any edge adds them all up, so a scrape
that lands on either edge sees the whole system. Counters of processes that died keep their
totals; gauges count only live processes (a starting process sweeps the files of dead
ones). Without the variable (a process run by hand, the tests) metrics stay in memory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

# Imported after the directory exists: prometheus_client picks its storage at import time.
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# Edges.
SOCKETS = Gauge("rooms_edge_sockets", "Open client sockets", multiprocess_mode="livesum")
FRAMES_IN = Counter("rooms_edge_frames_in", "Frames received from clients", ["type"])
FRAMES_OUT = Counter("rooms_edge_frames_out", "Frames sent to clients")
BYTES_OUT = Counter("rooms_edge_bytes_out", "Bytes of text sent to clients")
SEND_QUEUE_DROPS = Counter("rooms_edge_send_queue_drops",
                           "Sockets closed because their send queue overflowed")
CLOSES = Counter("rooms_edge_closes", "Sockets closed by the server, by close code", ["code"])

# Room workers.
ROOMS_OWNED = Gauge("rooms_worker_rooms_owned", "Rooms this worker holds the lease of",
                    multiprocess_mode="livesum")
EVENTS_APPLIED = Counter("rooms_worker_events_applied", "Stream entries applied")
BATCH_SECONDS = Histogram(
    "rooms_worker_batch_seconds", "Time to apply and commit one read: every room's batch in it",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0))
KICKS = Counter("rooms_worker_kicks", "Players removed by a sweep", ["reason"])
OWNERSHIP = Counter("rooms_worker_ownership_changes", "Room ownership changes", ["change"])
STREAM_LAG = Gauge("rooms_worker_stream_lag", "Entries of owned rooms not read yet",
                   multiprocess_mode="livesum")
STREAM_PENDING = Gauge("rooms_worker_stream_pending",
                       "Entries of owned rooms read but not acknowledged",
                       multiprocess_mode="livesum")

# Auth.
REGISTRATIONS = Counter("rooms_auth_registrations", "Registrations", ["outcome"])
LOGINS = Counter("rooms_auth_logins", "Logins", ["outcome"])
HASH_SECONDS = Histogram("rooms_auth_hash_seconds", "Time of one bcrypt hash or check",
                         buckets=(0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0))
DB_ERRORS = Counter("rooms_auth_db_errors", "Requests that found the database unavailable")

_DB_FILE = re.compile(r"_(\d+)\.db$")


def sweep_dead_processes() -> None:
    """Drop the live-gauge files of processes that no longer run (restarted or killed)."""
    if not MULTIPROC_DIR:
        return
    for path in Path(MULTIPROC_DIR).glob("*.db"):
        match = _DB_FILE.search(path.name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                int(match.group(1)), MULTIPROC_DIR)


def exposition() -> tuple[bytes, str]:
    """The metrics of every process (or of this one alone), in the text format."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            registry, path=MULTIPROC_DIR)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
