"""Each worker paces WhatsApp and Crossref at its part of their limits, however many workers run."""

from __future__ import annotations

from pathlib import Path

from connectors.crossref import CrossrefSource
from refbot.store.health import LoopBeat
from tests.conftest import running_desk


async def test_a_worker_takes_its_share_of_the_rate_limits_among_the_live_workers(
    tmp_path: Path, catalog_dir: Path
) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        store, worker = desk.services.store, desk.worker
        [crossref] = [s for s in desk.services.sources if isinstance(s, CrossrefSource)]
        rate = desk.services.settings.whatsapp.messages_per_second
        now = store.clock()
        await store.record_heartbeats([h.as_beat(worker.name) for h in worker.health.values()])
        # Another worker, on another machine, beats; a third went quiet a minute ago.
        await store.record_heartbeats([LoopBeat("node-b:77:1", "send", now), LoopBeat("node-c:88:1", "send", now - 60)])

        await worker.take_share()

        assert worker.sender.limit.share == 2 and worker.sender.limit.allowed == rate / 2
        assert crossref.limiter.share == 2
