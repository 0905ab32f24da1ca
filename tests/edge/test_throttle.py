"""The per-socket frame rate limit, on a clock the test controls."""

from __future__ import annotations

from edge.throttle import FrameThrottle, Verdict


def test_a_burst_up_to_the_limit_is_accepted_then_frames_are_dropped() -> None:
    throttle = FrameThrottle(rate_per_s=10, burst=5, now=0.0)
    verdicts = [throttle.check(0.0) for _ in range(7)]
    assert verdicts == [Verdict.ACCEPT] * 5 + [Verdict.DROP] * 2


def test_a_client_within_the_rate_is_never_dropped() -> None:
    throttle = FrameThrottle(rate_per_s=10, burst=5, now=0.0)
    assert all(throttle.check(n * 0.1) is Verdict.ACCEPT for n in range(1000))


def test_a_client_slightly_over_the_rate_is_slowed_but_not_disconnected() -> None:
    throttle = FrameThrottle(rate_per_s=10, burst=5, now=0.0)
    verdicts = [throttle.check(n * 0.07) for n in range(2000)]  # about 14 a second
    assert Verdict.DROP in verdicts
    assert Verdict.DISCONNECT not in verdicts


def test_a_flood_is_disconnected_within_seconds() -> None:
    throttle = FrameThrottle(rate_per_s=10, burst=5, now=0.0)
    for n in range(10_000):  # 1,000 frames a second
        if throttle.check(n * 0.001) is Verdict.DISCONNECT:
            assert n * 0.001 < 2.0
            return
    raise AssertionError("a flood of 100 times the rate was never disconnected")


def test_the_bucket_refills_after_a_pause() -> None:
    throttle = FrameThrottle(rate_per_s=10, burst=5, now=0.0)
    for _ in range(6):
        throttle.check(0.0)
    assert throttle.check(0.05) is Verdict.DROP
    assert [throttle.check(1.0) for _ in range(5)] == [Verdict.ACCEPT] * 5
