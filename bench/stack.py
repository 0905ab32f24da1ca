"""A private copy of the whole system for one benchmark run, and the pids of its processes.

It reuses the end-to-end harness (supervisord with the repository's own config, random
ports) and the fault tests' private redis-server, so a benchmark never touches a running
development system, the machine's shared Redis, or the test suite's databases.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.services import PrivateRedis
from tests.system.harness import System

# Local only and never used outside a private stack; fixed so cached tokens stay valid
# from one run to the next (see bench/users.py).
BENCH_SECRET_KEY = "bench-private-stack-secret-0123456789abcdef"
# Long enough for cached tokens to outlive many runs; edges close sockets at `exp`.
TOKEN_MINUTES = 7 * 24 * 60

# What a benchmark changes in every stack, and why it shows in the report.
BASE_ENV = {
    "SECRET_KEY": BENCH_SECRET_KEY,
    "ACCESS_TOKEN_EXPIRE_MINUTES": str(TOKEN_MINUTES),
    # Users are made once before the measurement; cheap hashes keep that step short.
    "BCRYPT_ROUNDS": "4",
}

_STATUS_LINE = re.compile(r"^(\S+)\s+RUNNING\s+pid (\d+),")


@dataclass
class Stack:
    """auth, the edges and the workers under supervisord, on a redis-server of their own."""

    overrides: dict[str, str] = field(default_factory=dict)
    keep_dir: bool = False
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    redis: PrivateRedis | None = None
    system: System | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**BASE_ENV, **self.overrides}

    @property
    def users_db(self) -> Path:
        return self.workdir / "users.db"

    @property
    def redis_url(self) -> str:
        assert self.redis is not None
        return self.redis.url

    @property
    def auth_url(self) -> str:
        assert self.system is not None
        return self.system.auth_url

    def ws_url(self, room_id: str) -> str:
        assert self.system is not None
        return self.system.ws_url(room_id)

    def start(self, timeout_s: float = 60) -> None:
        self.redis = PrivateRedis(self.workdir / "redis")
        self.redis.start()
        env = {
            **self.env,
            "REDIS_URL": self.redis.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.users_db}",
        }
        self.system = System(run_dir=self.workdir / "run", env=env)
        self.system.start(timeout_s)
        # supervisord says STARTING (and gives no pid) for a program's first second.
        deadline = time.monotonic() + 15
        while "STARTING" in self.system.ctl("status") and time.monotonic() < deadline:
            time.sleep(0.2)

    def server_pids(self) -> dict[str, int]:
        """Every server process by name: supervisord's programs, then Redis.

        Names come from `supervisorctl status`, so a config with more edges or workers is
        measured whole without a change here.
        """
        assert self.system is not None and self.redis is not None
        pids: dict[str, int] = {}
        for line in self.system.ctl("status").splitlines():
            match = _STATUS_LINE.match(line.strip())
            if match:
                # "edge:edge-0" reads better as "edge-0"; "auth:auth" never occurs.
                pids[match.group(1).split(":")[-1]] = int(match.group(2))
        if self.redis.process is not None:
            pids["redis"] = self.redis.process.pid
        return pids

    def edge_pids(self) -> dict[str, int]:
        return {name: pid for name, pid in self.server_pids().items()
                if name.startswith("edge")}

    def stop(self) -> None:
        if self.system is not None:
            self.system.stop()
            self.system = None
        if self.redis is not None and self.redis.process is not None:
            self.redis.kill()

    def cleanup(self) -> None:
        """Remove the run's files; after stop(), once the users database was saved."""
        if not self.keep_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def logs(self) -> str:
        return self.system.logs() if self.system is not None else ""


def edge_name_of(edge_id: str) -> str:
    """The supervisord name of an edge id (`edge-0-<pid>-<hex>` -> `edge-0`)."""
    return "-".join(edge_id.split("-")[:2])

