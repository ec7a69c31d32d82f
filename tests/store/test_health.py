"""The heartbeats the health check and the rate limits' shares are read from."""

from __future__ import annotations

from refbot.store import Store
from refbot.store.health import LoopBeat
from tests.store.conftest import Clock


async def test_live_workers_counts_each_worker_with_a_fresh_heartbeat_once(store: Store, clock: Clock) -> None:
    now = clock()
    await store.record_heartbeats([
        LoopBeat("node-a:101:1", "send", now - 1), LoopBeat("node-a:101:1", "journal", now - 2),
        LoopBeat("node-b:202:1", "send", now - 300), LoopBeat("node-b:202:1", "chores", now - 10),
        LoopBeat("node-c:303:1", "send", now - 20), LoopBeat("node-c:303:1", "journal", now - 16),
    ])

    # a (two fresh loops, one worker) and b (its chores loop beat 10 s ago); c has been silent for 16 s.
    assert await store.live_workers(now - 15) == 2
    assert await store.live_workers(now - 5) == 1
    assert await store.live_workers(now - 3600) == 3
    assert await store.live_workers(now + 1) == 0
