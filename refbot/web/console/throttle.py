"""Login throttling: too many failed sign-ins for one username or from one address wait a while."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable


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

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failed attempt against each key."""
        now = self.clock()
        for key in keys:
            times = self._failures.pop(key, deque())
            times.append(now)
            self._failures[key] = times
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, keys: Iterable[str]) -> None:
        """Forget a username's failures after it signs in (an address keeps its count)."""
        for key in keys:
            if key.startswith("user:"):
                self._failures.pop(key, None)

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
