"""The APA list a patron receives is complete: a chapter names its book's editors, a thesis its degree.

Driven as the desk is used: the patron asks, Crossref (the stand-in, with its demo works) answers,
a librarian approves, and the list is read as it arrived on the patron's phone.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PATRON, Desk, eventually, running_desk


async def approved_list(desk: Desk, question: str) -> str:
    await desk.patron_says(question)
    [draft_id] = await eventually(desk.services.store.draft_ids, what="a draft")
    await desk.press(f"approve:{draft_id}")

    async def the_list() -> str:
        texts = [m.get("text", "") for m in await desk.sent_to(PATRON)]
        return "\n".join(t for t in texts if "1. " in t)

    return str(await eventually(the_list, what="the approved list on the patron's phone"))


async def test_a_chapter_names_its_editor_and_a_thesis_its_degree(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        listed = await approved_list(desk, "please find works on linked data for library catalogues and "
                                           "reading engagement of secondary school students")

    assert "In H. Kusnadi (Ed.), _Linked Data for Libraries" in listed
    assert "[Doctoral dissertation, " in listed


async def test_an_indonesian_list_names_the_thesis_level_too(tmp_path: Path, catalog_dir: Path) -> None:
    async with running_desk(tmp_path, catalog_dir) as desk:
        listed = await approved_list(desk, "tesis literasi informasi kesehatan masyarakat perkotaan")

    assert "_Literasi Informasi Kesehatan pada Masyarakat Perkotaan_ [Tesis, Universitas Cendana Raya]" in listed
