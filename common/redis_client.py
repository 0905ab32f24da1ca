"""Redis connections with the retry and timeout policy every process shares."""

from __future__ import annotations

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
    """
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2)
    return redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        single_connection_client=single_connection,
    )
