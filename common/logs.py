"""Logging set-up shared by every process: one line per record, named loggers, UTC times.

Every line passes through a redacting formatter, whichever library wrote it: uvicorn logs
request lines with their query string, and a client may put its token there.
"""

from __future__ import annotations

import logging
import re
import sys
import time

# `token=...` in a query string, `Bearer ...` in a header, and anything shaped like a JWT.
_SECRETS = re.compile(
    r"(?P<query>(?:access_)?token=)[^\s&\"']+"
    r"|(?P<bearer>[Bb]earer\s+)[^\s\"']+"
    r"|eyJ[\w-]*\.[\w-]*\.[\w-]*"
)


def redact(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        prefix = match.group("query") or match.group("bearer") or ""
        return f"{prefix}<redacted>"

    return _SECRETS.sub(hide, text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup(level: str, process: str) -> None:
    """Send every logger, uvicorn's included, to stderr as `time level process logger: msg`."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = RedactingFormatter(
        f"%(asctime)s.%(msecs)03dZ %(levelname)s {process} %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
