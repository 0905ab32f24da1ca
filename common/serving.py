"""What the two HTTP processes (auth, edge) share when they start: logging, metrics files
and the uvicorn options."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from common import metrics
from common.config import Settings, get_settings, warn_about_fallbacks
from common.logs import setup


def start(process: str, used: tuple[str, ...]) -> Settings:
    """Load the settings, set up logging, and warn about the fallbacks this process uses."""
    settings = get_settings()
    setup(settings.log_level, process, settings.log_format)
    metrics.sweep_dead_processes()
    warn_about_fallbacks(settings, used=used)
    return settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "log_config": None,
        "timeout_graceful_shutdown": settings.graceful_shutdown_s,
        # Client addresses come from X-Forwarded-For only behind a proxy named here;
        # otherwise anyone could pick the address the login throttle counts against.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
    }


async def metrics_endpoint() -> Response:
    """`GET /metrics`: every process's metrics, added up."""
    data, content_type = metrics.exposition()
    return Response(data, media_type=content_type)
