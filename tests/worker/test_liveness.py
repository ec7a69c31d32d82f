"""A desk that never silently stops: loops outlive store errors, and /healthz tells the truth."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from refbot.store.health import Backlog, LoopBeat
from refbot.worker.health import FAILING_AFTER, LOOPS, judge
from refbot.worker.loops import retry_pause
from tests.conftest import PATRON, eventually, running_desk

IDLE = Backlog(0, 0, 0, None)


def _hold_write_lock(path: Path, seconds: float, held: threading.Event) -> None:
    """What an admin's `sqlite3` shell or a backup does: take the write lock and keep it."""
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        held.set()
        threading.Event().wait(seconds)
        db.execute("ROLLBACK")
    finally:
        db.close()


async def test_a_question_sent_while_another_process_holds_the_store_is_answered_afterwards(
    tmp_path: Path, catalog_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        held = threading.Event()
        # Longer than the store's 5-second busy timeout, so the worker's writes fail meanwhile.
        locker = threading.Thread(target=_hold_write_lock, args=(tmp_path / "refbot.sqlite3", 8.0, held))
        locker.start()
        await asyncio.to_thread(held.wait, 10)
        resp = await desk.post_webhook_only(PATRON, "literasi informasi mahasiswa")
        assert resp.status == 200, "the webhook is taken while the store is locked: it goes to the journal"

        async def a_loop_failed() -> bool:
            return any(h.failing for h in desk.worker.health.values())

        await eventually(a_loop_failed, within=20, what="a worker loop to hit the locked store")
        await asyncio.to_thread(locker.join)

        async def drafted() -> list[int]:
            return await desk.services.store.draft_ids()

        assert await eventually(drafted, within=60, what="the question to be drafted once the lock is gone")
        assert desk.worker.alive, "every worker loop is still running"
        assert any("worker loop" in r.message and "failed" in r.message for r in caplog.records)


async def test_healthz_says_ok_while_the_worker_beats(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        async def healthy() -> dict[str, object] | None:
            async with desk.http.get(f"{desk.url}/healthz") as resp:
                body: dict[str, object] = await resp.json()
                return body if resp.status == 200 else None

        body = await eventually(healthy, within=20, what="/healthz to say ok")
        assert body["status"] == "ok" and body["reasons"] == [] and body["resends_without_evidence_24h"] == 0
        worker = body["worker"]
        assert isinstance(worker, dict) and worker["worker_alive"] is True
        assert set(worker["loops"]) == set(LOOPS)


async def test_healthz_is_503_with_the_reason_when_a_worker_loop_has_died(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        desk.worker._tasks[0].cancel()  # as if the journal loop had ended
        await asyncio.sleep(0.05)
        async with desk.http.get(f"{desk.url}/healthz") as resp:
            body = await resp.json()
        assert resp.status == 503
        assert body["status"] == "failing" and "the worker process is not running" in body["reasons"]


def _beats(now: float, **over: tuple[float, int]) -> list[LoopBeat]:
    return [LoopBeat("w", name, *(over.get(name, (now, 0))[:1]), failing=over.get(name, (now, 0))[1])
            for name in LOOPS]


def test_the_verdict_names_a_loop_that_stopped_or_keeps_failing() -> None:
    now = 1_000_000.0
    assert judge(_beats(now), IDLE, now=now, stale_after=30).ok
    stopped = judge(_beats(now, send=(now - 120, 0)), IDLE, now=now, stale_after=30)
    assert not stopped.ok and stopped.reasons == ("worker loop 'send' has not reported for over 30 s",)
    failing = judge(_beats(now, intake=(now, FAILING_AFTER)), IDLE, now=now, stale_after=30)
    assert not failing.ok and "worker loop 'intake' keeps failing" in failing.reasons[0]
    # The chores loop waits between rounds on purpose; that is not a stop.
    assert judge(_beats(now, chores=(now - 80, 0)), IDLE, now=now, stale_after=30, chore_interval=60).ok
    assert not judge([], IDLE, now=now, stale_after=30).ok, "no worker anywhere: the desk cannot answer"


def test_a_failing_loop_backs_off_but_never_for_long() -> None:
    pauses = [retry_pause(n, 0.2) for n in range(1, 15)]
    assert pauses == sorted(pauses) and pauses[0] == 0.2 and pauses[-1] == 30.0
