"""`python -m room_worker`: run one room worker until SIGTERM or SIGINT."""

import asyncio

from common.config import get_settings, warn_about_fallbacks
from common.logs import setup
from room_worker.worker import serve


def main() -> None:
    settings = get_settings()
    setup(settings.log_level, "room_worker")
    warn_about_fallbacks(settings, used=("redis_url",))
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
