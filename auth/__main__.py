"""`python -m auth`: serve the auth HTTP API on AUTH_HOST:AUTH_PORT."""

import uvicorn

from auth.app import create_app
from common.config import get_settings, warn_about_fallbacks
from common.logs import setup


def main() -> None:
    settings = get_settings()
    setup(settings.log_level, "auth")
    warn_about_fallbacks(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.auth_host,
        port=settings.auth_port,
        log_config=None,
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
    )


if __name__ == "__main__":
    main()
