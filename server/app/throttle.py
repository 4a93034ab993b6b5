"""Sign-in throttling: a growing wait after failed passwords, per account and per address.

    wait = throttle.wait(account, address)   # > 0: answer 429, Retry-After: ceil(wait)
    ... check the password ...
    throttle.failed(account, address) or throttle.succeeded(account, address)

Each key (an account's lower-cased name, a client address) counts its failed
sign-ins.  The first `free` failures cost nothing; after that each attempt
must wait 2**(failures - free) seconds after the last failure, capped, and
an attempt that has to wait is refused without checking the password (so it
neither costs a hash nor counts as a failure).  A key is forgotten
`forget_seconds` after its last failure, and on a correct password.

So an attacker cannot lock a real user out for long: the account's wait is
capped at ACCOUNT_CAP (5 minutes) and does not apply at all to an address
with no failures of its own.  A user at a clean address signs in whatever
others tried; one who shares an address with an attacker waits at most
ADDRESS_CAP.  Unknown names count exactly like real ones (no oracle).

The counts live in this process: with several instances an attacker gets
each instance's allowance (docs/operations.md).  At most `max_keys` keys are
kept; past that the longest-quiet ones are dropped first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

ACCOUNT_FREE = 5
ACCOUNT_CAP = 300.0
ADDRESS_FREE = 20
ADDRESS_CAP = 900.0
FORGET_SECONDS = 900.0
MAX_KEYS = 100_000


@dataclass
class Failures:
    count: int
    last: float


class Counter:
    """Failures per key with a growing, capped wait."""

    def __init__(self, free: int, cap: float, forget_seconds: float, max_keys: int) -> None:
        self.free = free
        self.cap = cap
        self.forget_seconds = forget_seconds
        self.max_keys = max_keys
        self.keys: dict[str, Failures] = {}  # oldest last failure first

    def current(self, key: str, now: float) -> Failures | None:
        found = self.keys.get(key)
        if found is not None and now - found.last > self.forget_seconds:
            del self.keys[key]
            return None
        return found

    def wait(self, key: str, now: float) -> float:
        found = self.current(key, now)
        if found is None or found.count < self.free:
            return 0.0
        delay = min(2.0 ** (found.count - self.free), self.cap)
        return max(0.0, found.last + delay - now)

    def failed(self, key: str, now: float) -> None:
        found = self.current(key, now)
        count = found.count + 1 if found is not None else 1
        self.keys.pop(key, None)
        self.keys[key] = Failures(count, now)  # to the end: the newest
        while len(self.keys) > self.max_keys:
            del self.keys[next(iter(self.keys))]

    def forget(self, key: str) -> None:
        self.keys.pop(key, None)


class Throttle:
    """Failed sign-ins per account and per client address."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        account_free: int = ACCOUNT_FREE,
        account_cap: float = ACCOUNT_CAP,
        address_free: int = ADDRESS_FREE,
        address_cap: float = ADDRESS_CAP,
        forget_seconds: float = FORGET_SECONDS,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.clock = clock
        self.accounts = Counter(account_free, account_cap, forget_seconds, max_keys)
        self.addresses = Counter(address_free, address_cap, forget_seconds, max_keys)

    def wait(self, account: str, address: str) -> float:
        """Seconds before `address` may try `account` again; 0 when it may now."""
        now = self.clock()
        address_wait = self.addresses.wait(address, now)
        clean = self.addresses.current(address, now) is None
        account_wait = 0.0 if clean else self.accounts.wait(account, now)
        return max(address_wait, account_wait)

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        self.accounts.failed(account, now)
        self.addresses.failed(address, now)

    def succeeded(self, account: str, address: str) -> None:
        self.accounts.forget(account)
        self.addresses.forget(address)


def retry_after(wait: float) -> int:
    """The whole seconds of a Retry-After header (at least 1)."""
    return max(1, math.ceil(wait))
