"""The web process: it builds a worker only when it runs one."""

from __future__ import annotations

from pathlib import Path

from refbot.config import WorkerSettings
from tests.conftest import running_desk


async def test_a_web_process_whose_worker_runs_elsewhere_builds_none(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir, worker=WorkerSettings(poll_interval=0.05, mode="none")) as desk:
        resp = await desk.patron_says("literasi informasi mahasiswa")

        assert resp.status == 200, "the webhook is still taken and written down"
        assert desk.running is None
        desk.services.wake()  # nobody to wake: harmless
        async with desk.http.get(f"{desk.url}/healthz") as health:
            body = await health.json()
        assert body["webhooks_waiting"] == 1, "health reports what waits for the worker elsewhere"


async def test_an_inline_worker_is_woken_by_a_webhook(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        assert desk.running is not None and desk.services.wake == desk.running.wake
        await desk.patron_says("literasi informasi mahasiswa")
        assert await desk.services.store.inbox_counts() != {}
