"""`python -m edge [--fd N]`: serve client WebSockets.

Under supervisord the edges share one listening socket, passed as file descriptor 0, so
clients need a single address whichever edge the kernel hands them to.
"""

import argparse

import uvicorn

from common.config import get_settings, warn_about_fallbacks
from common.logs import setup
from common.metrics import sweep_dead_processes
from edge.app import create_app

# Frames larger than this close the socket with 1009 before they are read whole.
MAX_FRAME_BYTES = 16 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, help="serve on this inherited socket")
    args = parser.parse_args()

    settings = get_settings()
    setup(settings.log_level, "edge", settings.log_format)
    sweep_dead_processes()
    warn_about_fallbacks(settings, used=("redis_url", "secret_key", "jwt_algorithm"))
    where = {"fd": args.fd} if args.fd is not None else {
        "host": settings.edge_host, "port": settings.edge_port}
    uvicorn.run(
        create_app(settings),
        **where,
        log_config=None,
        access_log=False,
        ws_max_size=MAX_FRAME_BYTES,
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        # Client addresses come from X-Forwarded-For only behind a proxy named here;
        # otherwise anyone could pick the address the login throttle counts against.
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


if __name__ == "__main__":
    main()
