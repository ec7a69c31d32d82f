"""Shutting the worker down never hangs on a task that will not stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from refbot.worker.loops import stop_tasks


async def test_a_task_that_swallows_its_cancellation_does_not_hold_up_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    let_go = asyncio.Event()

    async def stubborn() -> None:
        while not let_go.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue  # what a cancellation lost inside a library looks like from outside

    async def obedient() -> None:
        await asyncio.sleep(10)

    tasks = [asyncio.create_task(stubborn(), name="stubborn"), asyncio.create_task(obedient(), name="obedient")]
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="refbot.worker.loops"):
        await asyncio.wait_for(stop_tasks(tasks, "worker", grace=0.2), timeout=5)
    assert tasks[1].cancelled()
    assert "worker task stubborn did not stop within 0.2 s" in caplog.text
    assert "obedient" not in caplog.text
    let_go.set()  # the test's own loop must not keep it
    tasks[0].cancel()
    await asyncio.wait(tasks[:1], timeout=1)
    assert tasks[0].done()


async def test_stopping_reports_a_task_that_had_failed(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("the store went away")

    task = asyncio.create_task(broken(), name="journal")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="refbot.worker.loops"):
        await stop_tasks([task], "worker")
    assert "worker task journal ended with RuntimeError('the store went away')" in caplog.text
