"""Login throttling: too many failed sign-ins for one username or from one address wait a while.

The check and the count are one step: :meth:`LoginThrottle.begin` either refuses or counts the
attempt as a failure *before* the password is checked (no ``await`` in between, so parallel
sign-ins cannot all pass the check while the first ones are still hashing); a right password
then takes its attempt back (:meth:`LoginThrottle.succeeded`). So at most ``per_user`` passwords
are ever checked for one username, and ``per_address`` from one address, in a window.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: refused for ``wait`` seconds, or (``wait`` 0) counted and allowed."""

    keys: tuple[str, ...]
    at: float
    wait: float

    @property
    def allowed(self) -> bool:
        """Whether the password may be checked."""
        return self.wait <= 0


class LoginThrottle:
    """Counts failed logins per key in a sliding window and says how long a key must wait.

    Keys are strings such as ``user:dewi`` and ``ip:10.0.0.5``; each has its own limit. The
    table is bounded, forgetting the least recently failed keys first, so a flood of made-up
    usernames cannot grow it without end.
    """

    def __init__(
        self,
        *,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds until every key may try again; 0 when all may try now."""
        now = self.clock()
        waits = [self._wait(key, now) for key in keys]
        return max(waits, default=0.0)

    def begin(self, keys: Iterable[str]) -> Attempt:
        """Check and count in one step: refused while any key must wait, else counted as a failure now."""
        keys = tuple(keys)
        now = self.clock()
        wait = max((self._wait(key, now) for key in keys), default=0.0)
        if wait <= 0:
            self._count(keys, now)
        return Attempt(keys, now, wait)

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failed attempt against each key."""
        self._count(tuple(keys), self.clock())

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: forget the username's failures; the address takes this attempt back."""
        for key in attempt.keys:
            if key.startswith("user:"):
                self._failures.pop(key, None)
                continue
            times = self._failures.get(key)
            if times is not None and attempt.at in times:
                times.remove(attempt.at)

    def _count(self, keys: tuple[str, ...], now: float) -> None:
        for key in keys:
            times = self._failures.pop(key, deque())
            times.append(now)
            self._failures[key] = times
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        limit = self.per_user if key.startswith("user:") else self.per_address
        if len(times) < limit:
            return 0.0
        return times[len(times) - limit] + self.window - now
