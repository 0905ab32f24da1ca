"""Logging set-up shared by every process: one line per record, named loggers, UTC times.

Every line passes through a redacting formatter, whichever library wrote it: uvicorn logs
request lines with their query string, and a client may put its token there.
"""

from __future__ import annotations

import json
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


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, process, logger, message (and traceback)."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        row = {"time": f"{moment}.{int(record.msecs):03d}Z", "level": record.levelname,
               "process": self.process, "logger": record.name,
               "message": redact(record.getMessage())}
        if record.exc_info:
            row["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(row, ensure_ascii=False)


def setup(level: str, process: str, fmt: str = "text") -> None:
    """Send every logger, uvicorn's included, to stderr: `time level process logger: msg`
    lines, or JSON objects when `fmt` is "json"."""
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter(process)
    else:
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
