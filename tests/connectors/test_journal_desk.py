"""A question about one journal, by its ISSN, as a librarian sees the draft for it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LIBRARIAN, eventually, running_desk

QUESTION = ("kak, saya mau kirim artikel literasi informasi ke jurnal Berkala Literasi Informasi "
            "ISSN 1907-4239, apakah jurnalnya sudah terakreditasi SINTA?")


async def test_the_journal_asked_about_by_issn_comes_first_without_a_kind_penalty(
    tmp_path: Path, catalog_dir: Path,
) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        await desk.patron_says(QUESTION)
        [draft_id] = await eventually(desk.services.store.draft_ids, what="a draft")

        async def review() -> str:
            texts = [m.get("text", "") for m in await desk.sent_to(LIBRARIAN)]
            return next((t for t in texts if f"Draft #{draft_id}" in t), "")

        text = str(await eventually(review, what="the draft on the librarian's phone"))
        draft = await desk.services.store.get_draft(draft_id)

    assert draft is not None
    first = draft.items[0]
    assert first.candidate.kind.value == "journal" and "1907-4239" in first.candidate.issn
    assert dict(first.score.parts).get("kind", 0.0) >= 0.0
    assert "1. _Berkala Literasi Informasi_" in text and "ISSN yang ditanyakan +1.00" in text
