"""A run's settings: each scenario's defaults, the command line's changes, and the server
settings a scenario needs changed (which the report lists, so no figure hides them)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.latency import MAX_SEQUENCE

RESULTS = ROOT / "bench" / "results"
# The server's defaults (README, Configuration), which a scenario may have to lift.
SERVER_FRAME_RATE_PER_S = 30.0
SERVER_ROOM_MAX_PLAYERS = 256

SCENARIOS: dict[str, dict[str, Any]] = {
    # 1,000 players in rooms of ten, each moving ten times a second.
    "crowd": {"clients": 1000, "rooms": 100, "rate": 10.0, "seconds": 60.0, "processes": 2},
    # Idle logged-in sockets, added in steps until pings slow down or something fails;
    # `seconds` is the bound on the whole ramp, `clients` its largest count.
    "capacity": {"clients": 20000, "rooms": 0, "rate": 0.0, "seconds": 300.0,
                 "processes": 2},
    # Everyone in one room: one worker and every edge carry the whole room.
    "bigroom": {"clients": 200, "rooms": 1, "rate": 10.0, "seconds": 30.0, "processes": 1},
    # Two players, one move each every 100 ms: the latency floor.
    "quiet": {"clients": 2, "rooms": 1, "rate": 10.0, "seconds": 20.0, "processes": 1},
}


@dataclass
class RunConfig:
    scenario: str
    clients: int
    rooms: int
    rate: float
    seconds: float
    processes: int
    out: Path = RESULTS
    ping_every_s: float = 30.0
    # How long to wait after the last send for every member to see every last move.
    drain_s: float = 10.0
    # Connection attempts in flight per generator process.
    connect_concurrency: int = 100
    fresh_users: bool = False
    keep_logs: bool = False
    # capacity only
    step: int = 1000
    hold_s: float = 5.0
    sample: int = 200
    p99_limit_ms: float = 100.0
    room_size: int = 10
    notes: list[str] = field(default_factory=list)

    def validate(self) -> None:
        if self.clients < 2 and self.scenario != "capacity":
            raise ValueError("a room needs at least two clients to measure anything")
        if self.scenario != "capacity":
            if not 1 <= self.rooms <= self.clients // 2:
                raise ValueError("rooms must be between 1 and clients / 2")
            if self.rate <= 0:
                raise ValueError("rate must be above 0")
            # x is the sequence number, which must stay inside the world's limits.
            if self.rate * self.seconds > MAX_SEQUENCE:
                raise ValueError(f"rate x seconds must stay under {MAX_SEQUENCE}")
        if self.processes < 1:
            raise ValueError("processes must be at least 1")
        if self.seconds <= 0 or self.seconds > 3600:
            raise ValueError("seconds must be within (0, 3600]")

    @property
    def largest_room(self) -> int:
        if self.scenario == "capacity":
            return self.room_size
        return math.ceil(self.clients / self.rooms)

    def server_env(self) -> dict[str, str]:
        """Settings to change so the scenario measures the system, not its guards."""
        env: dict[str, str] = {}
        # Moves plus pings, with room to spare for the generator's own jitter.
        frames = self.rate + 1 / self.ping_every_s
        if frames > SERVER_FRAME_RATE_PER_S * 0.8:
            rate = math.ceil(frames * 2)
            env["FRAME_RATE_PER_S"] = str(rate)
            env["FRAME_BURST"] = str(rate * 2)
            self.notes.append(f"FRAME_RATE_PER_S raised to {rate} (burst {rate * 2}) for "
                              f"{self.rate:g} moves/s per client")
        if self.largest_room > SERVER_ROOM_MAX_PLAYERS:
            env["ROOM_MAX_PLAYERS"] = str(self.largest_room)
            self.notes.append(f"ROOM_MAX_PLAYERS raised to {self.largest_room}")
        return env

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["out"] = str(self.out)
        return data
