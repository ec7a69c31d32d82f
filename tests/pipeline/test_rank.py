"""Ranking: fused relevance, named score parts, duplicates merged, books and articles mixed."""

from __future__ import annotations

import dataclasses
import math

import pytest

from refbot.config import MatchSettings
from refbot.models import Candidate, Holding, InformationNeed, Kind, Term
from refbot.pipeline.rank import citation_credit, rank, same_work, score_candidate, similarity

S = MatchSettings()


def need(text: str, **kw: object) -> InformationNeed:
    return InformationNeed(raw=text, terms=tuple(Term(w) for w in text.split()), **kw)  # type: ignore[arg-type]


def book(title: str, **kw: object) -> Candidate:
    base: dict[str, object] = {"source": "catalog", "source_id": title, "kind": Kind.BOOK, "title": title}
    return Candidate(**{**base, **kw})  # type: ignore[arg-type]


def article(title: str, **kw: object) -> Candidate:
    base: dict[str, object] = {"source": "crossref", "source_id": title, "kind": Kind.ARTICLE, "title": title}
    return Candidate(**{**base, **kw})  # type: ignore[arg-type]


def test_score_keeps_named_parts_that_add_up() -> None:
    n = need("literasi informasi", year_from=2020, kinds=frozenset({Kind.BOOK}))
    c = book("Literasi informasi", year=2021, holdings=(Holding(available=True),))
    score = score_candidate(n, c, 1.0, S)
    names = [name for name, _ in score.parts]
    assert names == ["relevance", "similarity", "years", "kind", "on shelf"]
    assert abs(sum(v for _, v in score.parts) - score.total) < 1e-3
    assert score.part("years") > 0 and score.part("kind") > 0


def test_constraints_reward_and_penalise() -> None:
    n = need("literasi informasi", year_from=2020, kinds=frozenset({Kind.ARTICLE}), languages=frozenset({"id"}))
    fits = article("Literasi informasi", year=2022, language="id")
    misfit = book("Literasi informasi", year=2001, language="en")
    assert score_candidate(n, fits, 0.5, S).total > score_candidate(n, misfit, 0.5, S).total
    assert score_candidate(n, misfit, 0.5, S).part("years") < 0
    assert score_candidate(n, misfit, 0.5, S).part("language") < 0


def test_on_shelf_beats_all_on_loan_when_otherwise_equal() -> None:
    n = need("katalogisasi")
    shelf = book("Katalogisasi", holdings=(Holding(available=True),))
    loaned = book("Katalogisasi", holdings=(Holding(available=False),))
    assert score_candidate(n, shelf, 1.0, S).total > score_candidate(n, loaned, 1.0, S).total


def test_duplicates_across_sources_merge_and_keep_library_copy() -> None:
    cat = book("Information literacy: a practical guide", authors=("Smith, Jane",), isbn=("9780000000001",),
               call_number="020 SMI i", holdings=(Holding(),))
    cr = Candidate("crossref", "10.5555/x", Kind.BOOK, "Information Literacy - A Practical Guide",
                   authors=("Jane Smith",), doi="10.5555/x")
    other = article("Reading habits of students")
    ranked = rank(need("information literacy"), {"crossref": [cr, other], "catalog": [cat]}, S, 8)
    titles = [r.candidate.title for r in ranked]
    assert len(ranked) == 2
    merged = next(r.candidate for r in ranked if r.candidate.call_number)
    assert merged.source == "catalog" and merged.doi == "10.5555/x"
    assert "Reading habits of students" in titles


def test_same_work_rules() -> None:
    assert same_work(article("A", doi="10.1/X"), article("B", doi="10.1/x"))
    assert not same_work(article("Same title here", doi="10.1/a"), article("Same title here", doi="10.1/b"))
    assert same_work(book("A", isbn=("1",)), book("B", isbn=("1", "2")))
    assert not same_work(book("Library management", authors=("Rubin, R.",)),
                         book("Library management", authors=("Evans, G.",)))


def test_retracted_never_leads_and_is_kept_for_the_warning() -> None:
    bad = article("Information literacy outcomes", retracted=True)
    good = article("Information literacy assessment")
    ranked = rank(need("information literacy"), {"crossref": [bad, good]}, S, 8)
    assert ranked[0].candidate is good
    assert ranked[-1].candidate is bad and ranked[-1].score.part("retracted") < 0


def test_books_and_articles_are_mixed_when_both_exist() -> None:
    articles = [article(f"Information literacy study {i}") for i in range(10)]
    books = [book(f"Metode penelitian {i}") for i in range(6)] + [book(f"Information literacy handbook {i}")
                                                                  for i in range(3)]
    ranked = rank(need("information literacy"), {"crossref": articles, "catalog": books}, S, 8)
    kinds = [r.candidate.kind for r in ranked]
    assert len(ranked) == 8
    assert kinds.count(Kind.BOOK) >= 2 and kinds.count(Kind.ARTICLE) >= 2


def test_an_off_topic_item_is_never_brought_in_for_its_kind() -> None:
    # "arsip dinamis": the catalog's books answer it; Crossref's articles match not one word.
    books = [book(f"Manajemen arsip dinamis {i}") for i in range(10)]
    articles = [article("Chatbot perpustakaan berbasis kecerdasan artifisial"), article("Perpustakaan digital nasional")]
    ranked = rank(need("arsip dinamis"), {"catalog": books, "crossref": articles}, S, 8)
    assert [r.candidate.kind for r in ranked] == [Kind.BOOK] * 8


# -- score parts, table-driven ------------------------------------------------------------

N_PLAIN = need("information literacy")


@pytest.mark.parametrize(
    ("n", "c", "part", "expected"),
    [
        # years: inside +weight, outside -weight, unknown year 0, absent when not asked
        (need("x", year_from=2020), book("x", year=2022), "years", S.year_weight),
        (need("x", year_from=2020), book("x", year=2001), "years", -S.year_weight),
        (need("x", year_to=2000), book("x", year=2001), "years", -S.year_weight),
        (need("x", year_from=2020), book("x"), "years", 0.0),
        (need("x"), book("x", year=2022), "years", None),
        # kinds: an e-book answers a wish for books and the other way round
        (need("x", kinds=frozenset({Kind.BOOK})), book("x"), "kind", S.kind_weight),
        (need("x", kinds=frozenset({Kind.BOOK})), book("x", kind=Kind.EBOOK), "kind", S.kind_weight),
        (need("x", kinds=frozenset({Kind.THESIS})), article("x"), "kind", -S.kind_weight),
        (need("x"), article("x"), "kind", None),
        # languages: only when asked and the candidate's language is known
        (need("x", languages=frozenset({"id"})), book("x", language="id"), "language", S.language_weight),
        (need("x", languages=frozenset({"id"})), book("x", language="en"), "language", -S.language_weight),
        (need("x", languages=frozenset({"id"})), book("x"), "language", None),
        # shelf: held and on the shelf, held but all on loan, not held
        (N_PLAIN, book("x", holdings=(Holding(available=True),)), "on shelf", S.available_weight),
        (N_PLAIN, book("x", holdings=(Holding(available=False),)), "on shelf", 0.0),
        (N_PLAIN, article("x"), "on shelf", None),
        # open access: only when the patron asked
        (need("x", open_access=True), article("x", open_access=True), "open access", S.open_access_weight),
        (N_PLAIN, article("x", open_access=True), "open access", None),
        # credibility: a journal article with an ISSN; citations on a log scale
        (N_PLAIN, article("x", issn=("1234-5678",)), "journal", S.journal_weight),
        (N_PLAIN, book("x", issn=("1234-5678",)), "journal", None),
        (N_PLAIN, article("x"), "journal", None),
        (N_PLAIN, article("x", citations=S.citations_for_full_credit), "citations", S.citation_weight),
        (N_PLAIN, article("x", citations=5000), "citations", S.citation_weight),
        (N_PLAIN, article("x", citations=0), "citations", None),
        # retracted: the penalty
        (N_PLAIN, article("x", retracted=True), "retracted", -S.retracted_penalty),
    ],
)
def test_score_parts(n: InformationNeed, c: Candidate, part: str, expected: float | None) -> None:
    score = score_candidate(n, c, 1.0, S)
    names = dict(score.parts)
    if expected is None:
        assert part not in names
    else:
        assert names[part] == pytest.approx(expected)
    assert score.total == pytest.approx(sum(v for _, v in score.parts), abs=1e-3)


@pytest.mark.parametrize(
    ("citations", "full", "credit"),
    [(0, 100, 0.0), (1, 100, math.log(2) / math.log(101)), (9, 100, math.log(10) / math.log(101)),
     (100, 100, 1.0), (10_000, 100, 1.0), (5, 0, 0.0)],
)
def test_citation_credit(citations: int, full: int, credit: float) -> None:
    assert citation_credit(citations, full) == pytest.approx(credit)


@pytest.mark.parametrize(
    ("text", "title", "low", "high"),
    [
        ("information literacy", "Information literacy", 0.99, 1.0),
        ("information literacy", "Information Literacies in Higher Education", 0.99, 1.0),  # inflections meet
        ("information literacy", "Informaton literasy", 0.8, 0.99),  # misspellings nearly meet
        ("katalogisasi", "Pedoman katalogisasi bahan pustaka", 0.99, 1.0),
        ("information literacy", "Reading habits of students", 0.0, 0.0),
        ("information literacy", "Information retrieval", 0.4, 0.6),  # half the words
        ("", "Anything", 0.0, 0.0),
    ],
)
def test_similarity_is_the_share_of_the_need_found(text: str, title: str, low: float, high: float) -> None:
    assert low <= similarity(need(text), book(title)) <= high


def test_similarity_reads_subjects_and_abstract() -> None:
    c = book("Panduan praktis", subjects=("Katalogisasi",), abstract="Tentang deskripsi bibliografis.")
    assert similarity(need("katalogisasi deskripsi"), c) == pytest.approx(1.0)


def test_a_work_both_sources_found_leads_but_agreement_adds_at_most_the_cap() -> None:
    shared = article("Library anxiety revisited", doi="10.5555/anx", authors=("Mellon, C.",))
    catalog_copy = book("Library anxiety revisited", doi="10.5555/anx", call_number="025.5 MEL l")
    results = {"crossref": [article("Library anxiety today"), shared],
               "catalog": [book("Library anxiety in students"), catalog_copy]}
    ranked = rank(need("library anxiety"), results, S, 8)
    assert ranked[0].candidate.doi == "10.5555/anx" and ranked[0].candidate.source == "catalog"
    fused = dict(ranked[0].score.parts)["relevance"] / S.source_weight
    assert fused == pytest.approx((S.rrf_k + 1) / (S.rrf_k + 2) + S.agreement_cap, abs=1e-3)
    assert len(ranked) == 3


def test_two_sources_agreeing_on_a_loose_match_do_not_outrank_a_full_match() -> None:
    # A survey of reference service quality matches one word of the need; two sources both
    # returned it, and it used to take first place by adding both shares.
    loose = article("Kualitas layanan referensi menggunakan LibQUAL+ di perpustakaan universitas",
                    doi="10.5555/jkn.2017.0105", authors=("Wulandari, Sri",))
    full = book("Preservasi digital koleksi naskah kuno di perpustakaan perguruan tinggi")
    results = {"catalog": [full, book("Perpustakaan digital")], "crossref": [loose, article("Perpustakaan umum")],
               "zotero": [dataclasses.replace(loose, source="zotero", source_id="AR5KL678")]}
    ranked = rank(need("perpustakaan digital preservasi"), results, S, 8)
    assert ranked[0].candidate.title == full.title
    assert "LibQUAL" not in ranked[0].candidate.title


def test_two_records_of_one_source_stay_apart() -> None:
    editions = [book("Library management", source_id="b1"), book("Library management", source_id="b2")]
    assert len(rank(need("library management"), {"catalog": editions}, S, 8)) == 2


def test_retracted_works_never_take_a_place_and_at_most_two_are_shown() -> None:
    bad = [article(f"Information literacy outcomes {i}", retracted=True) for i in range(4)]
    good = [article(f"Information literacy assessment {i}") for i in range(3)]
    ranked = rank(need("information literacy"), {"crossref": [*bad, *good]}, S, 8)
    assert [r.candidate.retracted for r in ranked] == [False, False, False, True, True]
    assert all(r.score.part("retracted") == -S.retracted_penalty for r in ranked[3:])


@pytest.mark.parametrize(("each", "books_at_least"), [(0, 0), (1, 1), (2, 2)])
def test_mix_each_makes_room_for_books(each: int, books_at_least: int) -> None:
    articles = [article(f"Information literacy study {i}") for i in range(10)]
    books = [book(f"Information literacy guide {i}") for i in range(3)]
    settings = dataclasses.replace(S, mix_each=each)
    ranked = rank(need("information literacy"), {"crossref": articles, "catalog": books}, settings, 8)
    assert sum(r.candidate.kind is Kind.BOOK for r in ranked) >= books_at_least
    assert [r.score.total for r in ranked] == sorted((r.score.total for r in ranked), reverse=True)


def test_a_single_source_keeps_its_order_when_nothing_else_differs() -> None:
    items = [book(f"Information literacy volume {i}") for i in range(1, 30)]
    ranked = rank(need("information literacy"), {"catalog": items}, S, 30)
    assert [r.candidate.title for r in ranked] == [c.title for c in items]
