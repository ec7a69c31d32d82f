"""The similarity checks' rows and files on both backends: first taker wins, retention and erasure find the files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from refbot.decisions import requests
from refbot.models import InboundMessage
from refbot.ports import MediaStore
from refbot.store import Store
from refbot.store.files import DatabaseMedia
from refbot.store.media import FolderMedia
from refbot.store.privacy import erase_patron, purge_similarity_files
from refbot.store.similarity import KIND, NewCheck, SimilarityStore

PATRON = "6281200000001"
START = 1_700_000_000.0
DAY = 86400.0


class Clock:
    now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Store, MediaStore, Clock]]:
    clock = Clock()
    if request.param == "postgresql":
        store = await Store.open(await request.getfixturevalue("postgres").fresh_url(), clock)
        media: MediaStore = DatabaseMedia(store)
    else:
        store = await Store.open(tmp_path / "refbot.sqlite3", clock)
        media = FolderMedia(tmp_path)
    yield store, media, clock
    await store.close()


async def new_check(store: Store, media: MediaStore, wamid: str = "wamid.1", *, automated: bool = False) -> int:
    assert await store.record_inbound(InboundMessage(wamid, PATRON, "document", text="TURNITIN", media_id="1"))
    row = next(r for r in await store.claim_inbox(10) if r.message.wamid == wamid)
    key = f"similarity/in{row.id}-abc.pdf"
    await media.put(key, b"%PDF-1.4 naskah", "application/pdf")
    async with store.tx() as db:
        request_id = await requests.create(store, db, inbox_id=row.id, kind=KIND, patron=PATRON, language="id",
                                           detail={"filename": "bab2.pdf"})
        assert request_id is not None
        await SimilarityStore(store).add(db, request_id, NewCheck(key, "application/pdf", 15, 1, 300, True, automated))
    return request_id


async def test_the_first_librarian_to_take_a_check_keeps_it(backend: tuple[Store, MediaStore, Clock]) -> None:
    store, media, _clock = backend
    checks = SimilarityStore(store)
    request_id = await new_check(store, media)
    async with store.tx() as db:
        assert await checks.claim(db, request_id, "console:dewi") == "console:dewi"
        assert await checks.claim(db, request_id, "console:budi") == "console:dewi"
    check = await checks.get(request_id)
    assert check is not None and check.stage == "claimed" and check.detail_filename == "bab2.pdf"


async def test_automated_checks_come_due_and_advance(backend: tuple[Store, MediaStore, Clock]) -> None:
    store, media, clock = backend
    checks = SimilarityStore(store)
    request_id = await new_check(store, media, automated=True)
    assert [c.id for c in await checks.due(clock.now)] == [request_id]
    await checks.advance(request_id, state="processing", turnitin_id="tca-1", next_poll_at=clock.now + 60)
    assert await checks.due(clock.now) == []
    check = (await checks.due(clock.now + 61))[0]
    assert check.turnitin_state == "processing" and check.turnitin_id == "tca-1" and check.stage == "checking"
    async with store.tx() as db:
        await checks.record_result(db, request_id, 12.5, "similarity/report-1-x.pdf", sent=False)
    ready = await checks.get(request_id)
    assert ready is not None and ready.stage == "ready" and ready.percent == 12.5 and ready.sent_at is None


async def test_files_go_keep_days_after_sending_and_erasure_takes_the_rest(
    backend: tuple[Store, MediaStore, Clock],
) -> None:
    store, media, clock = backend
    checks = SimilarityStore(store)
    sent_id = await new_check(store, media, "wamid.1")
    waiting_id = await new_check(store, media, "wamid.2")
    await media.put("similarity/report-1-x.pdf", b"%PDF-1.4 laporan", "application/pdf")
    async with store.tx() as db:
        await requests.approve(store, db, sent_id, "console:dewi", kind=KIND, messages=[], answer="9%")
        await checks.record_result(db, sent_id, 9, "similarity/report-1-x.pdf", sent=True)
    sent = await checks.get(sent_id)
    waiting = await checks.get(waiting_id)
    assert sent is not None and waiting is not None

    assert await purge_similarity_files(store, clock.now + 29 * DAY, 30, media) == 0
    assert await purge_similarity_files(store, clock.now + 31 * DAY, 30, media) == 2
    assert await media.get(sent.manuscript) is None and await media.get(sent.report) is None
    assert await media.get(waiting.manuscript) is not None, "a check still waiting keeps its manuscript"

    await erase_patron(store, PATRON, media)
    assert await media.get(waiting.manuscript) is None
    assert await checks.get(waiting_id) is None and await checks.get(sent_id) is None
