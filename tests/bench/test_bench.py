"""Smoke test of the load benchmark: a tiny crowd and a tiny quiet run, end to end.

Each runs `python -m bench` as a subprocess, exactly as `make bench` does: a private stack
of its own (private redis-server, SQLite users, random loopback ports), so it needs
neither the shared Redis nor MariaDB. The figures are only checked for being there and
sane: the machine is shared and small, so no speed is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(90)


def bench(out: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench", *args, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=80, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "LATENCY" in done.stdout
    (written,) = out.glob("*.json")
    result: dict[str, Any] = json.loads(written.read_text())
    assert Path(result["files"]["png"]).stat().st_size > 10_000
    return result


def check_moving(result: dict[str, Any], clients: int) -> None:
    assert result["moves"]["sent"] > 0
    assert result["moves"]["lost"] == 0
    assert result["moves"]["lost_with_closed_socket"] == 0
    assert result["moves"]["applied"] == result["moves"]["sent"]
    assert result["redis_check"]["players_checked"] == clients
    assert result["redis_check"]["x_differs"] == 0
    latency = result["latency_ms"]
    assert latency["count"] > 0
    assert 0 < latency["min"] <= latency["p50"] <= latency["p99"] <= latency["max"]
    assert result["messages"]["per_s"] > 0
    assert result["connections"]["joined"] == clients
    assert result["errors"]["unexpected_closes"] == {}
    processes = result["processes"]
    assert {"auth", "redis", "edge-0", "edge-1"} <= processes.keys()
    assert all(p["vm_hwm_mb"] > 0 for p in processes.values())
    assert result["cpu"]["server_cpu_s"] > 0
    assert result["cpu"]["cpu_ms_per_1000_messages"] > 0
    assert result["machine"]["nproc"] >= 1


def test_tiny_crowd(tmp_path: Path) -> None:
    result = bench(tmp_path, "crowd", "--clients", "6", "--rooms", "2", "--seconds", "3",
                   "--processes", "2")
    check_moving(result, clients=6)
    # Every move reaches the two other members of its room.
    assert result["latency_ms"]["count"] == result["moves"]["sent"] * 2


def test_tiny_quiet(tmp_path: Path) -> None:
    result = bench(tmp_path, "quiet", "--seconds", "2")
    check_moving(result, clients=2)
    assert result["latency_ms"]["count"] == result["moves"]["sent"]
