"""The sandbox's own three sources, searched for real, on the questions librarians found ranked wrong.

The demo catalog's Whoosh index, the Crossref stand-in serving the bundled demo works, and the
demo Zotero group copied into a store and searched by refbot's Zotero source: exactly what
``make demo`` answers from. Before fusion was calibrated, a survey of reference service quality
(LibQUAL+) that the Zotero guides and Crossref both return for the single word "perpustakaan"
came first for three unrelated questions, and a paper on weeding for "academic writing".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.crossref import CrossrefSource
from connectors.zotero import zotero_parts
from refbot.catalog.search import CatalogIndex, CatalogSource
from refbot.config import CrossrefSettings, MatchSettings, SearchSettings, ZoteroSettings
from refbot.models import Kind
from refbot.pipeline.answer import Answer, answer
from refbot.pipeline.parse import parse_need
from refbot.ports import Source
from refbot.sandbox.crossref import create_crossref_standin
from refbot.sandbox.zotero import create_zotero_standin
from refbot.store import Store
from tests.conftest import serve

YEAR = 2026


@pytest.fixture
async def sources(tmp_path: Path, catalog_dir: Path) -> AsyncIterator[list[Source]]:
    crossref_runner, crossref_url = await serve(create_crossref_standin())
    zotero_runner, zotero_url = await serve(create_zotero_standin())
    store = await Store.open(tmp_path / "refbot.sqlite3")
    zotero = zotero_parts(ZoteroSettings(enabled=True, library_id="2501", api_base=zotero_url, timeout=3.0), "", store)
    await zotero.sync.run_once()
    index = CatalogIndex(catalog_dir)
    try:
        yield [CatalogSource(index, timeout=5.0), CrossrefSource(CrossrefSettings(base_url=crossref_url, timeout=3.0)),
               zotero.source]
    finally:
        index.close()
        await store.close()
        await zotero_runner.cleanup()
        await crossref_runner.cleanup()


async def ask(sources: list[Source], question: str) -> Answer:
    need = parse_need(question, "id", current_year=YEAR)
    found = await answer(need, sources, SearchSettings(deadline=10.0), MatchSettings(), current_year=YEAR)
    assert not found.failures, found.failures
    return found


@pytest.mark.parametrize("question", ["perpustakaan digital dan preservasi digital", "peran perpustakaan sekolah",
                                      "layanan referensi virtual lewat WhatsApp"])
async def test_a_loose_match_two_sources_share_is_not_first(sources: list[Source], question: str) -> None:
    found = await ask(sources, question)
    assert "LibQUAL" not in found.items[0].candidate.title


async def test_academic_writing_starts_with_the_books_on_academic_writing(sources: list[Source]) -> None:
    found = await ask(sources, "academic writing and how to cite")
    assert "Weeding" not in found.items[0].candidate.title
    assert all("Weeding" not in r.candidate.title for r in found.items[:3])


@pytest.mark.parametrize(("question", "wished", "other"), [
    ("articles about information literacy after 2020", Kind.ARTICLE, Kind.BOOK),
    ("buku saja tentang literasi informasi", Kind.BOOK, Kind.ARTICLE),
])
async def test_a_kind_wish_never_gets_the_other_kind_mixed_in(sources: list[Source], question: str, wished: Kind,
                                                              other: Kind) -> None:
    found = await ask(sources, question)
    kinds = [r.candidate.kind for r in found.items]
    assert kinds.count(wished) >= 6 and other not in kinds


async def test_a_question_only_the_catalog_answers_gets_no_unrelated_articles(sources: list[Source]) -> None:
    found = await ask(sources, "arsip dinamis")
    assert all("arsip" in (r.candidate.title + " ".join(r.candidate.subjects)).lower() for r in found.items[:6])
    assert not [r for r in found.items if r.candidate.source == "crossref" and r.score.part("relevance") > 0.1]
