"""Per-socket frame rate limit: a token bucket, and strikes for clients that keep flooding.

A client may send FRAME_RATE_PER_S frames a second on average, with bursts of FRAME_BURST.
Frames beyond that are dropped (and answered, at most once a second). Each drop is a
strike, and a client that keeps sending far more than allowed runs up FRAME_BURST strikes
within seconds and is disconnected. Strikes fade at twice the allowed rate, so a client up
to three times over the limit is only slowed, never cut off.
"""

from __future__ import annotations

from enum import Enum


class Verdict(Enum):
    ACCEPT = "accept"
    DROP = "drop"
    DISCONNECT = "disconnect"


class FrameThrottle:
    def __init__(self, rate_per_s: float, burst: int, now: float) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.tokens = float(burst)
        self.strikes = 0.0
        self.updated = now

    def check(self, now: float) -> Verdict:
        """Account for one frame arriving at `now` (monotonic seconds)."""
        elapsed = max(0.0, now - self.updated)
        self.updated = now
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate_per_s)
        self.strikes = max(0.0, self.strikes - 2 * elapsed * self.rate_per_s)

        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return Verdict.ACCEPT
        self.strikes += 1.0
        return Verdict.DISCONNECT if self.strikes > self.burst else Verdict.DROP
