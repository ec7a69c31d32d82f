"""What a catalog says about editions, editors and theses, as APA 7 writes it for each reader.

APA (7th ed.): "(2nd ed.)" after the title, no first edition, no printing; an edited book's
editors in the author's place ("Kesharwani, P. (Ed.)."), an authored book's after its title
("(H. Weaver, Trans.; 2nd ed.)"); a thesis's degree in brackets. Indonesian readers get the
thesis words and the edition as Indonesian APA guides write them: "[Skripsi tidak diterbitkan]",
"(Ed. ke-2)".
"""

from __future__ import annotations

import pytest

from refbot.citations import apa_citation, export, parse_name
from refbot.citations.edition import edition_label
from refbot.citations.reference import degree_description
from refbot.models import Candidate, Kind


def book(**fields: object) -> Candidate:
    base: dict[str, object] = {"source": "catalog", "source_id": "b1", "kind": Kind.BOOK, "year": 2020,
                               "title": "Linked data untuk perpustakaan", "publisher": "Undip Press"}
    return Candidate(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "english", "indonesian"),
    [
        ("2", "2nd ed.", "Ed. ke-2"),
        ("Ed. ke-2", "2nd ed.", "Ed. ke-2"),
        ("Edisi kedua.", "2nd ed.", "Ed. ke-2"),
        ("Edisi 5.", "5th ed.", "Ed. ke-5"),
        ("3rd edition.", "3rd ed.", "Ed. ke-3"),
        ("Edisi revisi.", "Rev. ed.", "Ed. revisi"),
        ("Ed. 3, cet. 5", "3rd ed.", "Ed. ke-3"),
        ("Cet. 2", "", ""),  # a printing, not an edition
        ("Cetakan ke-5", "", ""),
        ("Edisi pertama", "", ""),  # APA leaves out a first edition
        ("1st ed.", "", ""),
        ("Edisi khusus.", "Edisi khusus", "Edisi khusus"),
        ("30th anniversary edition.", "30th anniversary ed.", "30th anniversary ed."),
    ],
)
def test_editions_as_catalogers_write_them(written: str, english: str, indonesian: str) -> None:
    assert (edition_label(written, "en"), edition_label(written, "id")) == (english, indonesian)


def test_an_edited_book_has_its_editor_in_the_authors_place() -> None:
    edited = book(editors=("Kusnadi, Hendra",), edition="Ed. ke-2")
    assert apa_citation(edited) == "Kusnadi, H. (Ed.). (2020). Linked data untuk perpustakaan (2nd ed.). Undip Press."
    assert apa_citation(edited, "whatsapp", "id") == (
        "Kusnadi, H. (Ed.). (2020). _Linked data untuk perpustakaan_ (Ed. ke-2). Undip Press.")


def test_two_editors_are_eds() -> None:
    edited = book(editors=("Singarimbun, Masri", "Effendi, Sofian"), edition="Edisi revisi.", publisher="LP3ES")
    assert apa_citation(edited).startswith("Singarimbun, M., & Effendi, S. (Eds.). (2020).")


def test_a_printing_never_shows() -> None:
    assert apa_citation(book(edition="Cet. 2")) == "Linked data untuk perpustakaan. (2020). Undip Press."


def test_an_authored_book_names_its_editor_and_edition_after_the_title() -> None:
    edited = book(authors=("Ranganathan, S. R.",), editors=("Gopinath, M. A.",), edition="3")
    assert apa_citation(edited) == (
        "Ranganathan, S. R. (2020). Linked data untuk perpustakaan (M. A. Gopinath, Ed.; 3rd ed.). Undip Press.")


def test_a_chapter_names_its_books_editors_edition_and_pages() -> None:
    part = Candidate(source="catalog", source_id="c1", kind=Kind.CHAPTER, title="Metadata bibliografis", year=2020,
                     authors=("Santoso, Budi",), editors=("Kusnadi, Hendra",), edition="Ed. ke-2", pages="1-20",
                     container="Linked data untuk perpustakaan", publisher="Undip Press")
    assert apa_citation(part) == ("Santoso, B. (2020). Metadata bibliografis. In H. Kusnadi (Ed.), Linked data untuk"
                                  " perpustakaan (2nd ed., pp. 1–20). Undip Press.")


def test_an_article_with_a_number_instead_of_pages() -> None:
    paper = Candidate(source="catalog", source_id="a1", kind=Kind.ARTICLE, title="Keterlibatan membaca", year=2021,
                      authors=("Lestari, Putri",), container="Jurnal Kajian Perpustakaan", volume="12", issue="3",
                      article_number="e0123")
    assert apa_citation(paper, "whatsapp").endswith("_Jurnal Kajian Perpustakaan_, _12_(3), Article e0123.")


def test_a_whole_proceedings_volume_is_cited_as_an_edited_book() -> None:
    volume = Candidate(source="catalog", source_id="p1", kind=Kind.PROCEEDINGS, title="Prosiding seminar nasional"
                       " perpustakaan", year=2019, editors=("Kusnadi, Hendra",), publisher="Undip Press")
    assert apa_citation(volume) == "Kusnadi, H. (Ed.). (2019). Prosiding seminar nasional perpustakaan. Undip Press."


@pytest.mark.parametrize(
    ("degree", "english", "indonesian"),
    [
        ("Skripsi (S1)", "Unpublished bachelor's thesis", "Skripsi tidak diterbitkan"),
        ("Tesis (S2)", "Unpublished master's thesis", "Tesis tidak diterbitkan"),
        ("Program Magister Ilmu Perpustakaan", "Unpublished master's thesis", "Tesis tidak diterbitkan"),
        ("Disertasi (S3)", "Unpublished doctoral dissertation", "Disertasi tidak diterbitkan"),
        ("Program Doktor", "Unpublished doctoral dissertation", "Disertasi tidak diterbitkan"),
        ("Thesis (Ed. D.)", "Unpublished doctoral dissertation", "Disertasi tidak diterbitkan"),
        ("", "Unpublished thesis", "Skripsi/Tesis tidak diterbitkan"),
    ],
)
def test_a_catalog_thesis_says_its_level_in_both_languages(degree: str, english: str, indonesian: str) -> None:
    thesis = Candidate(source="catalog", source_id="t1", kind=Kind.THESIS, title="Literasi informasi", year=2019,
                       authors=("Rahmawati, Dewi",), publisher="Universitas Diponegoro", degree=degree)
    assert apa_citation(thesis) == f"Rahmawati, D. (2019). Literasi informasi [{english}]. Universitas Diponegoro."
    assert apa_citation(thesis, language="id") == (
        f"Rahmawati, D. (2019). Literasi informasi [{indonesian}]. Universitas Diponegoro.")


def test_a_thesis_in_a_repository_is_published() -> None:
    thesis = Candidate(source="catalog", source_id="t1", kind=Kind.THESIS, title="Literasi informasi", year=2019,
                       authors=("Rahmawati, Dewi",), publisher="Universitas Diponegoro", degree="Skripsi (S1)",
                       url="https://eprints.undip.ac.id/1/")
    assert "[Skripsi, Universitas Diponegoro]. https://eprints.undip.ac.id/1/" in apa_citation(thesis, language="id")
    assert "[Bachelor's thesis, Universitas Diponegoro]." in apa_citation(thesis)


def test_degree_words_of_both_languages() -> None:
    assert [degree_description(d) for d in ("S1", "S2", "S3", "Strata 2", "magister", "doktor", "PhD", "Masters")] == [
        "Bachelor's thesis", "Master's thesis", "Doctoral dissertation", "Master's thesis", "Master's thesis",
        "Doctoral dissertation", "Doctoral dissertation", "Master's thesis"]


def test_a_body_with_commas_in_its_name_stays_whole() -> None:
    name = parse_name("Brookings Institution, Washington, D.C. Panel on Social Experimentation")
    assert name.inverted == "Brookings Institution, Washington, D.C. Panel on Social Experimentation"


def test_exports_carry_the_edition_as_reference_managers_read_it() -> None:
    _, _, ris = export([book(edition="Ed. ke-2"), book(source_id="b2", edition="Cet. 3")], "ris")
    assert ris.count("ET  - ") == 1 and "ET  - 2\r\n" in ris
    _, _, bibtex = export([book(edition="Edisi revisi")], "bibtex")
    assert "edition = {Rev. ed.}" in bibtex
