"""`python -m auth`: serve the auth HTTP API on AUTH_HOST:AUTH_PORT."""

import uvicorn

from auth.app import create_app
from common.config import get_settings, warn_about_fallbacks
from common.logs import setup
from common.metrics import sweep_dead_processes


def main() -> None:
    settings = get_settings()
    setup(settings.log_level, "auth", settings.log_format)
    sweep_dead_processes()
    warn_about_fallbacks(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.auth_host,
        port=settings.auth_port,
        log_config=None,
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        # Client addresses come from X-Forwarded-For only behind a proxy named here;
        # otherwise anyone could pick the address the login throttle counts against.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


if __name__ == "__main__":
    main()
