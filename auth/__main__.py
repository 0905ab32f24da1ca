"""`python -m auth`: serve the auth HTTP API on AUTH_HOST:AUTH_PORT."""

import uvicorn

from auth.app import create_app
from common.config import WARN_WHEN_MISSING
from common.serving import start, uvicorn_options


def main() -> None:
    settings = start("auth", used=WARN_WHEN_MISSING)
    uvicorn.run(create_app(settings), host=settings.auth_host, port=settings.auth_port,
                **uvicorn_options(settings))


if __name__ == "__main__":
    main()
