"""Fusion that no source can game, the mix floor and kind wishes — on the demo's own shapes.

The candidates below are the demo's records as its three sources return them (titles,
subjects and abstracts as in ``refbot/data``; the Zotero copy carries its subject guides'
names among its subjects): what librarians saw go wrong in the sandbox, one case each.
"""

from __future__ import annotations

import dataclasses

from refbot.config import MatchSettings
from refbot.models import Candidate, InformationNeed, Kind, Term
from refbot.pipeline.fusion import fuse
from refbot.pipeline.rank import rank

S = MatchSettings()


def need(text: str, **kw: object) -> InformationNeed:
    return InformationNeed(raw=text, terms=tuple(Term(w) for w in text.split()), **kw)  # type: ignore[arg-type]


def catalog(title: str, kind: Kind = Kind.BOOK, **kw: object) -> Candidate:
    return Candidate(**{"source": "catalog", "source_id": title, "kind": kind, "title": title, **kw})  # type: ignore[arg-type]


def crossref(title: str, **kw: object) -> Candidate:
    base: dict[str, object] = {"source": "crossref", "source_id": title, "kind": Kind.ARTICLE, "title": title,
                               "issn": ("2301-5578",)}
    return Candidate(**{**base, **kw})  # type: ignore[arg-type]


def zotero(c: Candidate, key: str, *guides: str) -> Candidate:
    return dataclasses.replace(c, source="zotero", source_id=key, subjects=(*c.subjects, *guides))


LIBQUAL = crossref("Kualitas Layanan Referensi Menggunakan LibQUAL+ di Perpustakaan Universitas",
                   doi="10.5555/jkn.2017.0105", authors=("Wulandari, Sri",), year=2017,
                   subjects=("layanan referensi", "LibQUAL+"))
LIBQUAL_CURATED = zotero(LIBQUAL, "AR5KL678", "Layanan Referensi")
WEEDING = crossref("Weeding Practices in Academic Libraries: Policies and Criteria", year=2006,
                   abstract="Weeding is often postponed for lack of clear criteria. This survey of academic"
                            " libraries compares written weeding policies and the use of circulation data, age"
                            " and condition as criteria.")


def titles(ranked: tuple[object, ...]) -> list[str]:
    return [r.candidate.title for r in ranked]  # type: ignore[attr-defined]


def test_a_loose_match_two_sources_agree_on_is_not_first_for_digital_preservation() -> None:
    n = need("digital perpustakaan preservasi")
    results = {
        "catalog": [catalog("Preservasi digital koleksi naskah kuno di perpustakaan perguruan tinggi", Kind.THESIS),
                    catalog("Perpustakaan digital: perspektif perpustakaan perguruan tinggi Indonesia"),
                    catalog("Perpustakaan digital dari A sampai Z")],
        "crossref": [crossref("Perpustakaan Digital Nasional: Tantangan Kebijakan dan Infrastruktur"),
                     crossref("Interoperabilitas Metadata Dublin Core dan MARC 21 pada Perpustakaan Digital"),
                     LIBQUAL],
        "zotero": [zotero(catalog("Digital libraries", authors=("Arms, William Y.",)), "BK7AR901",
                          "Perpustakaan Digital dan Pelestarian"),
                   zotero(catalog("Pengantar ilmu perpustakaan"), "BK2SB345", "Layanan Referensi"),
                   LIBQUAL_CURATED],
    }
    ranked = rank(n, results, S, 8)
    assert "LibQUAL" not in ranked[0].candidate.title
    assert titles(ranked).index(LIBQUAL.title) > 2
    # The loose match keeps one share and its curated mark, nothing for agreeing with itself.
    libqual = next(r for r in ranked if r.candidate.doi == LIBQUAL.doi)
    assert libqual.score.part("relevance") < ranked[0].score.part("relevance")


def test_curated_collections_vouch_for_relevant_works_and_propose_nothing_on_one_word() -> None:
    n = need("peran perpustakaan sekolah")
    held = catalog("Manajemen perpustakaan sekolah")
    results = {
        "catalog": [held, catalog("Pengelolaan perpustakaan sekolah")],
        "crossref": [crossref("Minat Baca Siswa Sekolah Menengah Pertama di Perpustakaan Sekolah")],
        "zotero": [zotero(catalog("Pengantar ilmu perpustakaan"), "BK2SB345", "Layanan Referensi"),
                   LIBQUAL_CURATED, zotero(held, "BK9MP001", "Panduan Subjek: Perpustakaan Sekolah")],
    }
    ranked = rank(n, results, S, 8)
    assert "Pengantar ilmu perpustakaan" not in titles(ranked)  # a Zotero item matching one word alone
    assert LIBQUAL.title not in titles(ranked)
    vouched = next(r for r in ranked if r.candidate.title == held.title)
    assert vouched.score.part("curated") == S.curated_weight and ranked[0] is vouched


def test_a_curated_item_that_answers_the_need_on_its_own_is_proposed() -> None:
    n = need("digital preservation")
    alone = zotero(crossref("Digital Preservation Strategies for Indonesian Manuscript Collections"), "AR6DP789",
                   "Perpustakaan Digital dan Pelestarian")
    fused = fuse(n, {"catalog": [catalog("Digital libraries")], "zotero": [alone]}, S)
    assert [(f.candidate.title, f.curated) for f in fused if f.candidate.source == "zotero"] == [(alone.title, True)]


def test_the_name_of_the_guide_an_item_is_filed_in_is_not_its_subject() -> None:
    # "Pengantar ilmu perpustakaan" sits in the information literacy guide; it is not about it.
    filed = zotero(catalog("Pengantar ilmu perpustakaan"), "BK2SB345", "Panduan Subjek: Literasi Informasi")
    about = zotero(catalog("Information literacy: Essential skills for the information age"), "BK3EL456",
                   "Panduan Subjek: Literasi Informasi")
    fused = fuse(need("literasi informasi"), {"catalog": [catalog("Literasi informasi")], "zotero": [filed, about]}, S)
    assert [f.candidate.title for f in fused if f.candidate.source == "zotero"] == [about.title]


def test_a_source_cannot_win_with_a_first_place_that_matches_one_word() -> None:
    n = need("academic writing cite")
    books = [catalog("How to write a lot: a practical guide to productive academic writing"),
             catalog("\"They say/I say\": the moves that matter in academic writing"),
             catalog("Academic writing for graduate students: essential tasks and skills")]
    ranked = rank(n, {"crossref": [WEEDING, crossref("Generative AI and Reference Work")], "catalog": books}, S, 8)
    assert ranked[0].candidate.source == "catalog"
    assert titles(ranked).index(WEEDING.title) >= 3


def test_one_source_alone_keeps_its_own_order_whatever_the_words() -> None:
    n = need("academic writing cite")
    items = [WEEDING, crossref("Information Literacy and Academic Integrity: Teaching Citation Practices")]
    assert titles(rank(n, {"crossref": items}, S, 8)) == [c.title for c in items]


def test_books_only_never_gets_an_article_however_well_it_matches() -> None:
    n = need("literasi informasi", kinds=frozenset({Kind.BOOK}))
    article = zotero(crossref("Literasi Informasi Mahasiswa Tingkat Akhir dalam Penyusunan Skripsi"), "AR4JK567",
                     "Panduan Subjek: Literasi Informasi")
    books = [catalog(f"Literasi informasi jilid {i}") for i in range(1, 9)]
    ranked = rank(n, {"catalog": books, "crossref": [dataclasses.replace(article, source="crossref")],
                      "zotero": [article]}, S, 8)
    assert [r.candidate.kind for r in ranked] == [Kind.BOOK] * 8


def test_articles_after_2020_never_get_old_books_mixed_in() -> None:
    n = need("information literacy", kinds=frozenset({Kind.ARTICLE}), year_from=2021)
    articles = [crossref(f"Information literacy in the curriculum {i}", year=2022) for i in range(10)]
    books = [catalog("Information literacy landscapes", year=2010), catalog("The seven faces of information literacy",
                                                                            year=1997)]
    ranked = rank(n, {"catalog": books, "crossref": articles}, S, 8)
    assert titles(ranked) == [c.title for c in articles[:8]]
    few = rank(n, {"catalog": books, "crossref": articles[:4]}, S, 8)
    assert all(r.candidate.kind is Kind.BOOK for r in few[4:])  # only after every article, never instead


def test_the_mix_floor_is_the_librarians_to_set() -> None:
    books = [catalog(f"Manajemen arsip dinamis {i}") for i in range(10)]
    articles = [crossref("Chatbot perpustakaan berbasis kecerdasan artifisial")]
    results = {"catalog": books, "crossref": articles}
    assert Kind.ARTICLE not in {r.candidate.kind for r in rank(need("arsip dinamis"), results, S, 8)}
    anything = dataclasses.replace(S, mix_floor=0.0)
    assert Kind.ARTICLE in {r.candidate.kind for r in rank(need("arsip dinamis"), results, anything, 8)}
