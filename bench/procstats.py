"""CPU time and memory of processes, read from /proc, and a description of the machine.

CPU is utime + stime of every thread of the process (auth's bcrypt threads included).
Memory is VmRSS now and VmHWM, the kernel's own peak RSS since the process started; the
sampler also keeps the highest VmRSS it saw inside the measured window.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Reading:
    cpu_s: float
    rss_kb: int
    hwm_kb: int


def read(pid: int) -> Reading | None:
    """One process's counters, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # The command name may hold spaces; the fields after its closing ')' do not.
            fields = stat.read().rsplit(")", 1)[1].split()
        status = _status(pid)
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    # utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the name.
    cpu_s = (int(fields[11]) + int(fields[12])) / TICKS_PER_S
    return Reading(cpu_s, status.get("VmRSS", 0), status.get("VmHWM", 0))


def _status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def fd_limit(pid: int) -> int | None:
    """The process's soft RLIMIT_NOFILE, as the kernel reports it."""
    try:
        with open(f"/proc/{pid}/limits") as limits:
            for line in limits:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
    except (OSError, ValueError):
        pass
    return None


@dataclass
class Watch:
    """Counters of named processes at marked moments, with the peak RSS between samples."""

    pids: dict[str, int]
    marks: dict[str, dict[str, Reading]] = field(default_factory=dict)
    peak_rss_kb: dict[str, int] = field(default_factory=dict)
    last_sample: float = 0.0

    def mark(self, label: str) -> None:
        self.marks[label] = self._read_all()

    def sample(self, every_s: float = 0.5) -> None:
        """Note the RSS of each process; cheap enough to call from any waiting loop."""
        now = time.monotonic()
        if now - self.last_sample < every_s:
            return
        self.last_sample = now
        self._read_all()

    def _read_all(self) -> dict[str, Reading]:
        readings: dict[str, Reading] = {}
        for name, pid in self.pids.items():
            reading = read(pid)
            if reading is not None:
                readings[name] = reading
                self.peak_rss_kb[name] = max(self.peak_rss_kb.get(name, 0), reading.rss_kb)
        return readings

    def between(self, start: str, end: str) -> dict[str, dict[str, float]]:
        """Per process: CPU seconds spent between two marks, RSS at both, peaks."""
        first, last = self.marks[start], self.marks[end]
        table: dict[str, dict[str, float]] = {}
        for name in self.pids:
            if name not in first or name not in last:
                continue  # it died or restarted: a delta would mean nothing
            table[name] = {
                "cpu_s": round(last[name].cpu_s - first[name].cpu_s, 3),
                "rss_start_mb": round(first[name].rss_kb / 1024, 1),
                "rss_end_mb": round(last[name].rss_kb / 1024, 1),
                "rss_peak_sampled_mb": round(self.peak_rss_kb.get(name, 0) / 1024, 1),
                "vm_hwm_mb": round(last[name].hwm_kb / 1024, 1),
            }
        return table


def machine() -> dict[str, object]:
    model = "unknown"
    mem_kb = 0
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                          if line.startswith("model name")), model)
        with open("/proc/meminfo") as meminfo:
            mem_kb = next(int(line.split()[1]) for line in meminfo
                          if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
