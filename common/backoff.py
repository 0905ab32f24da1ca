"""Exponential backoff with jitter for loops that wait for Redis or the database to return."""

from __future__ import annotations

import asyncio
import random


class Backoff:
    """Delays of 0.1 s, 0.2 s, 0.4 s ... up to `max_s`, each with ±20 % jitter.

    Jitter keeps a fleet of processes that lost Redis together from returning in lockstep.
    """

    def __init__(self, max_s: float, first_s: float = 0.1) -> None:
        self.max_s = max_s
        self.first_s = first_s
        self.attempt = 0

    def next_delay(self) -> float:
        delay = min(self.max_s, self.first_s * 2.0**self.attempt)
        self.attempt += 1
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self.attempt = 0


async def wait_event(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until `event` is set or `timeout_s` passes; True if it was set.

    Written with asyncio.timeout because asyncio.wait_for on Python 3.11 can swallow a
    cancellation that arrives just as the wait ends, leaving a loop running after its task
    was cancelled.
    """
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True
