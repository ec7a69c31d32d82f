"""The store's transactions: never left open, whatever interrupts them."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from refbot.models import InboundMessage, OutgoingMessage
from refbot.store import Store


def _hold_write_lock(path: Path, held: threading.Event, release: threading.Event) -> None:
    db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(30)
        db.execute("ROLLBACK")
    finally:
        db.close()


async def test_a_caller_cancelled_while_waiting_to_begin_leaves_no_transaction_behind(tmp_path: Path) -> None:
    """What a source's deadline does to a cache write: the desk must still write afterwards."""
    path = tmp_path / "refbot.sqlite3"
    store = await Store.open(path)
    held, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_hold_write_lock, args=(path, held, release))
    locker.start()
    try:
        await asyncio.to_thread(held.wait, 10)

        async def write() -> None:
            async with store.tx():
                pass

        waiting = asyncio.create_task(write())
        await asyncio.sleep(0.3)  # its BEGIN now waits for the other process's lock
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()  # the BEGIN still goes through, in aiosqlite's thread
        await asyncio.to_thread(locker.join)

        assert await store.record_inbound(InboundMessage("wamid.after", "6281200000001", "text", text="halo"))
        assert await store.inbox_counts() == {"pending": 1}
    finally:
        release.set()
        await store.close()


async def test_a_connection_left_inside_a_transaction_is_healed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = await Store.open(tmp_path / "refbot.sqlite3")
    try:
        await store._engine._db.execute("BEGIN")  # type: ignore[attr-defined]  # as a bug elsewhere might leave it
        assert await store.record_inbound(InboundMessage("wamid.1", "6281200000001", "text", text="halo"))
        assert "left inside a transaction" in caplog.text
    finally:
        await store.close()


async def test_a_failed_write_is_rolled_back_and_the_next_one_works(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "refbot.sqlite3")
    try:
        with pytest.raises(RuntimeError):
            async with store.tx() as tx:
                await store.enqueue(tx, "reply:1", OutgoingMessage(to="6281200000001", text="halo"))
                raise RuntimeError("boom")
        assert await store.outbox_rows() == []
        async with store.tx() as tx:
            assert await store.enqueue(tx, "reply:1", OutgoingMessage(to="6281200000001", text="halo"))
        assert len(await store.outbox_rows()) == 1
    finally:
        await store.close()
