"""`python -m edge [--fd N]`: serve client WebSockets.

Under supervisord the edges share one listening socket, passed as file descriptor 0, so
clients need a single address whichever edge the kernel hands them to.
"""

import argparse

import uvicorn

from common.serving import start, uvicorn_options
from edge.app import create_app

# Frames larger than this close the socket with 1009 before they are read whole.
MAX_FRAME_BYTES = 16 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, help="serve on this inherited socket")
    args = parser.parse_args()

    settings = start("edge", used=("redis_url", "secret_key", "jwt_algorithm"))
    where = {"fd": args.fd} if args.fd is not None else {
        "host": settings.edge_host, "port": settings.edge_port}
    uvicorn.run(create_app(settings), **where, access_log=False, ws_max_size=MAX_FRAME_BYTES,
                **uvicorn_options(settings))


if __name__ == "__main__":
    main()
