"""Login throttling on its own: a sliding window per username and per address, counted in the store.

Each test runs on SQLite and on PostgreSQL; the last one signs in through two web nodes (two
stores on one database) and finds they share one count.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from refbot.store import Store
from refbot.web.console.throttle import LoginThrottle

DEWI = ("user:dewi", "ip:10.0.0.1")


class Clock:
    """Wall time the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where the web nodes' store lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        url: str = await request.getfixturevalue("postgres").fresh_url()
        return url
    return tmp_path / "refbot.sqlite3"


@pytest.fixture
async def store(location: str | Path) -> AsyncIterator[Store]:
    s = await Store.open(location)
    yield s
    await s.close()


async def test_throttle_counts_failures_in_a_sliding_window(store: Store) -> None:
    clock = Clock()
    throttle = LoginThrottle(per_user=3, per_address=5, window=60, clock=clock)
    for _ in range(3):
        assert await throttle.wait(store, DEWI) == 0
        await throttle.failed(store, DEWI)
        clock.now += 1
    assert await throttle.wait(store, DEWI) == 57  # until the first failure (at 0) leaves the window
    assert await throttle.wait(store, ("user:budi", "ip:10.0.0.2")) == 0
    clock.now += 57
    assert await throttle.wait(store, DEWI) == 0
    await throttle.failed(store, DEWI)
    await throttle.succeeded(store, await throttle.begin(store, DEWI))
    assert await throttle.wait(store, ("user:dewi",)) == 0


async def test_throttle_counts_an_attempt_before_its_password_is_checked(store: Store) -> None:
    throttle = LoginThrottle(per_user=3, per_address=5, window=60, clock=Clock())
    attempts = await asyncio.gather(*(throttle.begin(store, DEWI) for _ in range(10)))  # all at once, none settled
    assert sorted(a.allowed for a in attempts) == [False] * 7 + [True] * 3
    assert max(a.wait for a in attempts) == 60
    # A right password takes its attempt back: the username starts afresh, the address keeps the others.
    await throttle.succeeded(store, next(a for a in attempts if a.allowed))
    assert await throttle.wait(store, ("user:dewi",)) == 0
    assert [(await throttle.begin(store, (f"user:u{n}", "ip:10.0.0.1"))).allowed for n in range(4)] == [
        True, True, True, False]  # 2 kept + 3 more reach the address's 5


async def test_throttle_table_is_bounded(store: Store) -> None:
    clock = Clock()
    throttle = LoginThrottle(max_attempts=10, prune_every=0, clock=clock)
    for n in range(100):
        await throttle.failed(store, (f"user:u{n}",))
        clock.now += 1
    assert await store.login_attempt_count() <= 11  # the newest ten, and the one counted after the last prune
    clock.now += 15 * 60
    await throttle.failed(store, ("user:last",))
    assert await store.login_attempt_count() == 1  # the rest left the window


async def test_two_web_nodes_share_one_count(location: str | Path) -> None:
    clock = Clock()
    nodes = [await Store.open(location), await Store.open(location)]
    throttles = [LoginThrottle(per_user=5, per_address=20, clock=clock) for _ in nodes]
    try:
        # An attacker alternates between the nodes, several guesses in flight on each.
        guesses = await asyncio.gather(*(throttles[n % 2].begin(nodes[n % 2], DEWI) for n in range(12)))
        assert sum(a.allowed for a in guesses) == 5
        assert not (await throttles[0].begin(nodes[0], ("user:dewi", "ip:192.0.2.9"))).allowed
        # Dewi gets her password right on the second node once the window has passed; the first node forgets too.
        clock.now += 15 * 60
        attempt = await throttles[1].begin(nodes[1], ("user:dewi", "ip:192.0.2.9"))
        assert attempt.allowed
        await throttles[1].failed(nodes[1], ("user:dewi",))
        await throttles[1].succeeded(nodes[1], attempt)
        assert await throttles[0].wait(nodes[0], ("user:dewi", "ip:192.0.2.9")) == 0
    finally:
        for node in nodes:
            await node.close()
