"""Login throttling: too many failed sign-ins for one username or from one address wait a while.

The check and the count are one step: :meth:`LoginThrottle.begin` either refuses or counts the
attempt as a failure *before* the password is checked (in one store transaction holding a
cluster-wide lock on the keys, so parallel sign-ins — on this node or any other — cannot all
pass the check while the first ones are still hashing); a right password then takes its attempt
back (:meth:`LoginThrottle.succeeded`). So at most ``per_user`` passwords are ever checked for
one username, and ``per_address`` from one address, in a window, however many web nodes the
attempts are spread over: the count lives in the store (:mod:`refbot.store.throttle`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from refbot.store import Store


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt: refused for ``wait`` seconds, or (``wait`` 0) counted and allowed."""

    keys: tuple[str, ...]
    at: float
    wait: float
    counted: tuple[int, ...] = ()
    """The store's rows counting this attempt, one per key (none when refused)."""

    @property
    def allowed(self) -> bool:
        """Whether the password may be checked."""
        return self.wait <= 0


class LoginThrottle:
    """Counts failed logins per key in a sliding window and says how long a key must wait.

    Keys are strings such as ``user:dewi`` and ``ip:10.0.0.5``; each has its own limit. The
    store's table is bounded: attempts older than the window are deleted (at most once every
    ``prune_every`` seconds per node), and beyond ``max_attempts`` the oldest go first, so a
    flood of made-up usernames cannot grow it without end. The clock is wall time, the one
    every node shares.
    """

    def __init__(
        self,
        *,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 15 * 60,
        clock: Callable[[], float] = time.time,
        max_attempts: int = 100_000,
        prune_every: float = 60.0,
    ) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window
        self.clock = clock
        self.max_attempts = max_attempts
        self.prune_every = prune_every
        self._pruned_at: float | None = None

    async def wait(self, store: Store, keys: Iterable[str]) -> float:
        """Seconds until every key may try again; 0 when all may try now."""
        return await store.login_wait(self._limits(keys), now=self.clock(), window=self.window)

    async def begin(self, store: Store, keys: Iterable[str]) -> Attempt:
        """Check and count in one step: refused while any key must wait, else counted as a failure now."""
        keys = tuple(keys)
        now = self.clock()
        await self._prune(store, now)
        wait, counted = await store.attempt_login(self._limits(keys), now=now, window=self.window)
        return Attempt(keys, now, wait, counted)

    async def failed(self, store: Store, keys: Iterable[str]) -> None:
        """Count one failed attempt against each key."""
        now = self.clock()
        await self._prune(store, now)
        await store.count_login_attempts(keys, now=now)

    async def succeeded(self, store: Store, attempt: Attempt) -> None:
        """The password was right: forget the username's failures; the address takes this attempt back."""
        users = [key for key in attempt.keys if _is_user(key)]
        others = [row for key, row in zip(attempt.keys, attempt.counted, strict=False) if not _is_user(key)]
        await store.forget_login_attempts(keys=users, ids=others)

    def _limits(self, keys: Iterable[str]) -> dict[str, int]:
        return {key: self.per_user if _is_user(key) else self.per_address for key in keys}

    async def _prune(self, store: Store, now: float) -> None:
        if self._pruned_at is not None and 0 <= now - self._pruned_at < self.prune_every:
            return
        self._pruned_at = now
        await store.prune_login_attempts(now - self.window, self.max_attempts)


def _is_user(key: str) -> bool:
    return key.startswith("user:")
