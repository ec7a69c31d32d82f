"""Saving approved lists to Zotero, driven as the desk is used: a patron asks, a librarian
approves, the patron writes HAPUS DATA — and what the library's Zotero then shows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from refbot.config import WorkerSettings, ZoteroSettings
from refbot.sandbox.zotero import ZOTERO, create_zotero_standin
from tests.conftest import eventually, running_desk, serve

QUESTION = "kak saya Rina, minta referensi literasi kesehatan remaja untuk skripsi di Puskesmas Sukamaju"


async def test_the_collection_names_no_patron_words_and_loses_the_topics_after_hapus_data(
    tmp_path: Path, catalog_dir: Path,
) -> None:
    standin = create_zotero_standin()
    runner, zotero_url = await serve(standin)
    library = standin[ZOTERO].libraries["groups/2501"]
    zotero = ZoteroSettings(enabled=True, library_id="2501", api_base=zotero_url, timeout=2.0, save_approved=True)
    worker = replace(WorkerSettings(), poll_interval=0.05, mode="inline", chore_interval=0.2)
    try:
        async with running_desk(tmp_path, catalog_dir, zotero=zotero, worker=worker) as desk:
            await desk.patron_says(QUESTION)
            [draft_id] = await eventually(desk.services.store.draft_ids, what="a draft")
            await desk.press(f"approve:{draft_id}")

            def named() -> list[str]:
                return [c["name"] for c in library.collections.values() if f"#{draft_id}" in c["name"]]

            async def saved() -> list[str]:
                return named()

            [name] = await eventually(saved, what="the approved list saved to Zotero")
            assert name.startswith(f"refbot #{draft_id} — ") and "literasi kesehatan" in name
            assert not any(w in name for w in ("Rina", "Sukamaju", "kak ", "skripsi"))

            await desk.patron_says("HAPUS DATA")
            await desk.patron_says("YA HAPUS")

            async def renamed() -> bool:
                return named() == [f"refbot #{draft_id}"]

            await eventually(renamed, what="the collection to lose the erased request's topics")
            everywhere = [c["name"] for c in library.collections.values()]
            everywhere += (await desk.services.store.zotero_collection_names("groups/2501")).values()
            assert not any("literasi" in n or "remaja" in n for n in everywhere)
    finally:
        await runner.cleanup()
