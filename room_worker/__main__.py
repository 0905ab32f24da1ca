"""`python -m room_worker`: run one room worker until SIGTERM or SIGINT."""

import uvloop

from common.config import get_settings, warn_about_fallbacks
from common.logs import setup
from common.metrics import sweep_dead_processes
from room_worker.worker import serve


def main() -> None:
    settings = get_settings()
    setup(settings.log_level, "room_worker", settings.log_format)
    sweep_dead_processes()
    warn_about_fallbacks(settings, used=("redis_url",))
    uvloop.run(serve(settings))


if __name__ == "__main__":
    main()
