"""Redis connections with the retry and timeout policy every process shares."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.config import Settings

# What a lost or unreachable Redis looks like to a caller, whichever layer noticed it.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


def connect(settings: Settings, *, single_connection: bool = False) -> redis.Redis:
    """A client for REDIS_URL that retries a few times quickly before giving up.

    Long outages are handled by the callers' own loops, with backoff, so that a request
    (a socket being opened, a frame being pushed) gets an answer instead of waiting forever.
    The pool blocks when all REDIS_MAX_CONNECTIONS are busy: a burst of frames waits its
    turn instead of failing as if Redis were down.
    """
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2)
    options: dict[str, Any] = {
        "decode_responses": True,
        "socket_connect_timeout": 2.0,
        "health_check_interval": 30,
        "retry": retry,
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }
    if single_connection:
        return redis.Redis.from_url(settings.redis_url, single_connection_client=True,
                                    **options)
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout_s, **options)
    return redis.Redis(connection_pool=pool)
