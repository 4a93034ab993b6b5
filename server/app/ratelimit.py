"""Per-user rate limits for dispatches: one token bucket per user on this instance.

    limits = DispatchLimits(rate=50, burst=500)
    limits.check("ada", len(events))   # raises RateLimited (429) when ada is over

A user's bucket holds `burst` events and refills at `rate` events a second;
a dispatch of n events takes n tokens or is refused whole (nothing is
written) with how long to wait.  REST and the websocket dispatch through
`server.app.dispatching.dispatch_for`, so they share the user's bucket across
all of that user's connections; other instances have their own buckets
(docs/operations.md).  Presence messages do not dispatch and do not count.

A websocket that keeps sending far past its limit is closed: each rejection
takes a token from the connection's own `Strikes` bucket (`close_after`
tokens, refilled at `rate`), and an empty one ends the connection with 1008.
A client at twice the rate loses no more strikes than it gets back; a
script sending thousands a second runs out within a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from server.app.http_errors import HttpError

MAX_USERS = 10_000  # past this many buckets, the full (idle) ones are forgotten


class TokenBucket:
    """`capacity` tokens, refilled at `rate` a second; starts full."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, count: float, now: float) -> float:
        """Take `count` tokens and return 0, or take none and return the seconds to wait."""
        self.refill(now)
        if self.tokens >= count:
            self.tokens -= count
            return 0.0
        return (count - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        self.refill(now)
        return self.tokens >= self.capacity


class RateLimited(HttpError):
    """429: the user sent more events than the limit allows; nothing was written."""

    def __init__(self, wait: float, rate: float, burst: int) -> None:
        seconds = max(1, math.ceil(wait))
        super().__init__(
            429,
            f"Too many events: this server takes at most {rate:g} events a second per user "
            f"(bursts of up to {burst}). Nothing was written; send again in {seconds} s.",
            {"retryAfter": seconds, "rate": rate, "burst": burst},
            headers={"Retry-After": str(seconds)},
        )


class DispatchLimits:
    """The token buckets of this instance's users; `rate=None` means no limit."""

    def __init__(
        self,
        rate: float | None = None,
        burst: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate is not None and (rate <= 0 or burst < 1):
            raise ValueError(
                f"A dispatch rate limit needs rate > 0 and burst >= 1; got rate={rate}, "
                f"burst={burst}. Use rate=None for no limit."
            )
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def check(self, user: str, count: int) -> None:
        """Take `count` events from `user`'s bucket, or raise RateLimited (or 413)."""
        if self.rate is None:
            return
        if count > self.burst:
            raise HttpError(
                413,
                f"This dispatch has {count} events; at this server's rate limit at most "
                f"{self.burst} fit in one dispatch. Send them in smaller lists.",
                {"events": count, "burst": self.burst},
            )
        now = self.clock()
        bucket = self.buckets.get(user)
        if bucket is None:
            if len(self.buckets) >= MAX_USERS:
                self._forget_idle(now)
            bucket = self.buckets[user] = TokenBucket(self.rate, self.burst, now)
        wait = bucket.take(count, now)
        if wait:
            raise RateLimited(wait, self.rate, self.burst)

    def strikes(self, close_after: int) -> Strikes:
        return Strikes(self, close_after)

    def _forget_idle(self, now: float) -> None:
        # A full bucket is the same as no bucket.
        self.buckets = {k: b for k, b in self.buckets.items() if not b.full(now)}


class Strikes:
    """One websocket's rejections for rate: `out()` once it kept hammering."""

    def __init__(self, limits: DispatchLimits, close_after: int) -> None:
        self.clock = limits.clock
        self.bucket = TokenBucket(limits.rate or 1.0, close_after, self.clock())

    def out(self) -> bool:
        """Count one rejection; True when the connection has used up its allowance."""
        return self.bucket.take(1, self.clock()) > 0
