"""Sign-in attempts in the store: checked and counted in one step, shared by every web node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from refbot.store import Store
from tests.store.conftest import Clock

WINDOW = 60.0
LIMITS = {"user:dewi": 3, "ip:10.0.0.1": 5}


async def test_an_attempt_is_checked_and_counted_in_one_step(store: Store, clock: Clock) -> None:
    now = clock()
    counted = [await store.attempt_login(LIMITS, now=now + n, window=WINDOW) for n in range(3)]
    assert [wait for wait, _ in counted] == [0, 0, 0]
    assert all(len(ids) == 2 for _, ids in counted)  # one row for the username, one for the address

    wait, ids = await store.attempt_login(LIMITS, now=now + 3, window=WINDOW)
    assert (wait, ids) == (57, ())  # refused, and not counted: until the first attempt leaves the window
    assert await store.login_attempt_count() == 6
    assert await store.login_wait({"ip:10.0.0.1": 5}, now=now + 3, window=WINDOW) == 0
    assert await store.login_wait(LIMITS, now=now + WINDOW, window=WINDOW) == 0


async def test_forgetting_takes_back_a_username_and_single_attempts(store: Store, clock: Clock) -> None:
    now = clock()
    ids = [(await store.attempt_login(LIMITS, now=now, window=WINDOW))[1] for _ in range(3)]
    await store.forget_login_attempts(keys=["user:dewi"], ids=[ids[0][1]])
    assert await store.login_wait(LIMITS, now=now, window=WINDOW) == 0
    assert await store.login_attempt_count() == 2  # the address keeps the other two


async def test_old_attempts_are_pruned_and_the_rest_bounded(store: Store, clock: Clock) -> None:
    now = clock()
    for n in range(20):
        await store.count_login_attempts([f"user:u{n}"], now=now + n)
    await store.prune_login_attempts(before=now + 5, keep=100)
    assert await store.login_attempt_count() == 15
    await store.prune_login_attempts(before=now, keep=10)
    assert await store.login_attempt_count() == 10  # the newest ten
    assert await store.login_wait({"user:u19": 1}, now=now + 20, window=WINDOW) > 0
    assert await store.login_wait({"user:u9": 1}, now=now + 20, window=WINDOW) == 0


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_nodes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two web nodes (or processes) open it."""
    if request.param == "postgresql":
        location: str | Path = await request.getfixturevalue("postgres").fresh_url()
    else:
        location = tmp_path / "refbot.sqlite3"
    first = await Store.open(location)
    second = await Store.open(location)
    yield first, second
    await first.close()
    await second.close()


async def test_parallel_attempts_on_two_nodes_pass_the_check_no_more_than_the_limit(
    two_nodes: tuple[Store, Store],
) -> None:
    now = 1_700_000_000.0
    outcomes = await asyncio.gather(*(
        two_nodes[n % 2].attempt_login(LIMITS, now=now, window=WINDOW) for n in range(30)
    ))
    assert sum(1 for wait, _ in outcomes if wait == 0) == LIMITS["user:dewi"]
    assert await two_nodes[0].login_attempt_count() == 2 * LIMITS["user:dewi"]
