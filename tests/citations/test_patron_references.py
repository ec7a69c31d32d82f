"""The APA list a patron receives is complete: a chapter names its book's editors, a thesis its degree.

Driven as the desk is used: the patron asks, Crossref (the stand-in, with its demo works) and the
catalog answer, a librarian approves, and the list is read as it arrived on the patron's phone.
The catalog's own theses and edited books come from a library's MARC export written here: 502
dissertation notes, 700 $e "penyunting", 250 editions as Indonesian catalogers write them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from refbot.catalog.index import build_index
from tests.catalog.conftest import field, iso, marc, write
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


@pytest.fixture
def library_catalog(tmp_path: Path) -> Path:
    """A library's own catalog: an Indonesian skripsi, an English master's thesis, an edited book in its 2nd edition."""
    skripsi = marc(
        "T-001", "Literasi informasi mahasiswa tingkat akhir di perpustakaan perguruan tinggi /",
        field("100", "a", "Rahmawati, Dewi Sri,", "e", "penulis.", ind="1 "),
        field("264", "b", "Fakultas Ilmu Budaya,", "c", "2019.", ind=" 1"),
        field("502", "a", "Skripsi (S1)--Universitas Diponegoro, 2019."),
        field("650", "a", "Literasi informasi", ind=" 4"),
        field("700", "a", "Wibowo, Agus,", "e", "pembimbing.", ind="1 "),
        leader="00000ntm a2200000 a 4500",
    )
    thesis = marc(
        "T-002", "Information literacy of final-year students in a university library /",
        field("100", "a", "Lestari, Putri,", "e", "author.", ind="1 "),
        field("264", "b", "Universitas Diponegoro,", "c", "2018.", ind=" 1"),
        field("502", "b", "Tesis (S2)", "c", "Universitas Diponegoro", "d", "2018"),
        field("650", "a", "Information literacy", ind=" 0"),
        leader="00000ntm a2200000 a 4500",
    )
    edited = marc(
        "B-001", "Literasi informasi di perpustakaan perguruan tinggi /",
        field("250", "a", "Ed. ke-2, cet. 3."),
        field("264", "a", "Semarang :", "b", "Undip Press,", "c", "2020.", ind=" 1"),
        field("650", "a", "Literasi informasi", ind=" 4"),
        field("700", "a", "Kusnadi, Hendra,", "e", "penyunting.", ind="1 "),
    )
    index_dir = tmp_path / "catalog"
    build_index([write(tmp_path / "koha.mrc", iso(skripsi, thesis, edited))], index_dir)
    return index_dir


async def test_an_indonesian_list_cites_the_catalogs_skripsi_and_edited_book(tmp_path: Path, library_catalog: Path) -> None:
    async with running_desk(tmp_path, library_catalog) as desk:
        listed = await approved_list(desk, "kak, cari skripsi dan buku tentang literasi informasi mahasiswa di perpustakaan")

    assert ("Rahmawati, D. S. (2019). _Literasi informasi mahasiswa tingkat akhir di perpustakaan perguruan tinggi_"
            " [Skripsi tidak diterbitkan]. Universitas Diponegoro.") in listed
    assert "Kusnadi, H. (Ed.). (2020). _Literasi informasi di perpustakaan perguruan tinggi_ (Ed. ke-2). Undip Press." in listed
    assert "Wibowo" not in listed  # the advisor is no author


async def test_an_english_list_says_which_degree_a_thesis_was_for(tmp_path: Path, library_catalog: Path) -> None:
    async with running_desk(tmp_path, library_catalog) as desk:
        listed = await approved_list(desk, "please find theses on information literacy of final-year students")

    assert ("Lestari, P. (2018). _Information literacy of final-year students in a university library_"
            " [Unpublished master's thesis]. Universitas Diponegoro.") in listed
