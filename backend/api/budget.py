"""Training work per client per minute: every moment a session spends in the worker pool is charged to the
client that made it, and a client that used its share trains no more until its minute is over.

The counting is the `limits` library's fixed window (one counter per client that resets each minute), in
milliseconds of worker time. Work is charged after it is done, since nobody knows beforehand how long a
frame takes: a client can overrun its share by the work already under way when it ran out (one piece per
session, each bounded by the largest train request), and the count starts afresh with the next minute. Wall
time in the pool is the measure because XLA runs a program on threads of its own, which a thread's CPU
clock misses.
"""
from __future__ import annotations

import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

MIN_WAIT_SECONDS = 1.0  # the shortest wait a client over its share is told (Retry-After is whole seconds)


class WorkBudget:
    """Seconds of worker time each client's sessions may use per minute (Settings.max_work_per_client)."""

    def __init__(self, seconds_per_minute: float) -> None:
        self.seconds_per_minute = seconds_per_minute
        self.item = RateLimitItemPerMinute(max(1, round(seconds_per_minute * 1000)))
        self.limiter = FixedWindowRateLimiter(MemoryStorage())

    def charge(self, client: str, seconds: float) -> None:
        self.limiter.hit(self.item, client, cost=max(1, round(seconds * 1000)))

    def wait(self, client: str) -> float:
        """0 while `client` may train; else the seconds until its share renews."""
        if self.limiter.test(self.item, client):
            return 0.0
        reset, _ = self.limiter.get_window_stats(self.item, client)
        return max(MIN_WAIT_SECONDS, reset - time.time())

    def refusal(self, wait: float) -> str:
        """What a client over its share is told, naming the limit."""
        return (f"max_work_per_client: one client's sessions may train {self.seconds_per_minute:g} s a minute; "
                f"training resumes in {wait:.0f} s")
