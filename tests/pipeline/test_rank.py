"""Ranking: fused relevance, named score parts, duplicates merged, books and articles mixed."""

from __future__ import annotations

from refbot.config import MatchSettings
from refbot.models import Candidate, Holding, InformationNeed, Kind, Term
from refbot.pipeline.rank import rank, same_work, score_candidate

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
    books = [book(f"Metode penelitian {i}") for i in range(3)]
    ranked = rank(need("information literacy"), {"crossref": articles, "catalog": books}, S, 8)
    kinds = [r.candidate.kind for r in ranked]
    assert len(ranked) == 8
    assert kinds.count(Kind.BOOK) >= 2 and kinds.count(Kind.ARTICLE) >= 2
