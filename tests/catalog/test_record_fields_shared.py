"""Real records from ../shared/data/marc that carry 250, 502 and 700 $e/$4: what a patron's list makes of them.

UVA's catalog sample (solrmarc) holds theses with their 502 note, books with editors named in
700 $e and edition statements in 250; the Ithaca College record (Open Library) names its editors
with the code ``edt`` in 700 $4. Skipped when the shared folder is absent.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from refbot.catalog.readers import read_file
from refbot.catalog.record import CatalogRecord
from refbot.delivery.render import patron_item
from tests.catalog.conftest import SHARED_MARC

UVA = SHARED_MARC / "solrmarc" / "uva_001_2000.mrc"
ITHACA = SHARED_MARC / "openlibrary" / "bin_input" / "ithaca_college_75002321.mrc"


def records(path: Path) -> dict[str, CatalogRecord]:
    if not path.is_file():
        pytest.skip(f"{path.resolve()} is not present (the shared real-data folder sits beside the repo)")
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    return {r.id: r for r in read_file(path) if isinstance(r, CatalogRecord)}


@pytest.fixture(scope="module")
def uva() -> dict[str, CatalogRecord]:
    return records(UVA)


def cited(record: CatalogRecord, language: str) -> str:
    return patron_item(record.to_candidate(), language).splitlines()[0]


def test_a_doctoral_thesis_says_so_in_both_languages(uva: dict[str, CatalogRecord]) -> None:
    thesis = uva["u342"]  # 502 $a Thesis (Ph. D.)--University of Virginia, 1983.
    assert (thesis.degree, thesis.institution) == ("Thesis (Ph. D.)", "University of Virginia")
    assert cited(thesis, "en").endswith("_ [Unpublished doctoral dissertation]. University of Virginia.")
    assert cited(thesis, "id").endswith("_ [Disertasi tidak diterbitkan]. University of Virginia.")


def test_every_thesis_note_of_the_sample_names_its_institution(uva: dict[str, CatalogRecord]) -> None:
    theses = [r for r in uva.values() if r.degree.startswith("Thesis (")]
    assert len(theses) >= 20
    assert all(r.institution for r in theses), [r.id for r in theses if not r.institution]


def test_an_edited_book_puts_its_editor_first(uva: dict[str, CatalogRecord]) -> None:
    book = uva["u818"]  # no 1XX; 700 $a Gantzel, Klaus Jürgen $e editor.; 250 $a 1. Aufl.
    assert (book.authors, book.editors) == ((), ("Gantzel, Klaus Jürgen",))
    assert cited(book, "en").startswith("Gantzel, K. J. (Ed.). (1983). _Kolonialrechtswissenschaft")
    assert "Aufl" not in cited(book, "en")  # a first edition is not named


def test_an_authored_book_names_its_editors_and_edition_after_the_title(uva: dict[str, CatalogRecord]) -> None:
    book = uva["u351"]  # 250 $a 2. Aufl.; two 700 $e editor
    assert cited(book, "en") == ("Cicero, M. T. (1876). _M. Tullii Ciceronis Laelius de amicitia dialogus_"
                                 " (M. L. Seyffert & C. F. W. Müller, Eds.; 2nd ed.). O. Holtze.")
    assert "(M. L. Seyffert & C. F. W. Müller, Eds.; Ed. ke-2)" in cited(book, "id")


def test_performers_of_a_recording_are_not_its_authors(uva: dict[str, CatalogRecord]) -> None:
    recording = uva["u399"]  # 700 $e performer., 710 $4 prf
    assert "Arch Ensemble" in recording.contributors
    assert "Arch Ensemble" not in recording.authors


def test_editors_coded_edt() -> None:
    [book] = records(ITHACA).values()
    assert book.editors == ("Pechman, Joseph A.", "Timpane, P. Michael")
    assert cited(book, "en").startswith("Brookings Institution, Washington, D.C. Panel on Social Experimentation. (")
    assert "(J. A. Pechman & P. M. Timpane, Eds.)" in cited(book, "en")
