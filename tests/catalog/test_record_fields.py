"""Editors, editions, theses' degrees and a part's host: from MARC, through the index, to the patron's list.

A cataloger writes them as catalogers do — 700 $e "penyunting.", 250 "Ed. ke-2", 502 "Skripsi
(S1)--Universitas Diponegoro, 2019." — and the patron reads them as APA 7 writes them, in their
own language: "In H. Kusnadi (Ed.), …", "(2nd ed.)", "[Skripsi tidak diterbitkan]".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from pymarc import Field, Record
from whoosh import index as whoosh_index
from whoosh.query import Term as WhooshTerm

from refbot.catalog.analysis import analyze
from refbot.catalog.cli import add_index_commands
from refbot.catalog.marc import marc_to_record
from refbot.catalog.record import CatalogRecord
from refbot.catalog.search import CatalogIndex
from refbot.catalog.unimarc import unimarc_to_record
from refbot.config import CatalogSettings, Settings
from refbot.delivery.render import patron_item
from refbot.models import Candidate, InformationNeed, Kind, Term
from tests.catalog.conftest import field, iso, marc, marcxml, write

THESIS_LEADER = "00000ntm a2200000 a 4500"
CHAPTER_LEADER = "00000naa a2200000 a 4500"
ARTICLE_LEADER = "00000nab a2200000 a 4500"


def skripsi() -> Record:
    return marc(
        "T-2019-001", "Literasi informasi mahasiswa tingkat akhir /",
        field("100", "a", "Rahmawati, Dewi Sri,", "e", "penulis.", ind="1 "),
        field("264", "a", "Semarang :", "b", "Fakultas Ilmu Budaya,", "c", "2019.", ind=" 1"),
        field("502", "a", "Skripsi (S1)--Universitas Diponegoro, 2019."),
        field("650", "a", "Literasi informasi", ind=" 4"),
        field("700", "a", "Wibowo, Agus,", "e", "pembimbing.", ind="1 "),
        leader=THESIS_LEADER,
    )


def edited_book() -> Record:
    return marc(
        "B-2020-007", "Linked data untuk perpustakaan /",
        field("250", "a", "Ed. ke-2."),
        field("264", "a", "Semarang :", "b", "Undip Press,", "c", "2020.", ind=" 1"),
        field("650", "a", "Linked data", ind=" 4"),
        field("700", "a", "Kusnadi, Hendra,", "e", "penyunting.", ind="1 "),
    )


def chapter() -> Record:
    return marc(
        "C-2020-003", "Metadata bibliografis dan linked data /",
        field("100", "a", "Santoso, Budi,", "e", "author.", ind="1 "),
        field("264", "a", "Semarang :", "b", "Undip Press,", "c", "2020.", ind=" 1"),
        field("650", "a", "Linked data", ind=" 4"),
        field("700", "a", "Kusnadi, Hendra,", "4", "edt", ind="1 "),
        field("773", "t", "Linked data untuk perpustakaan", "g", "hlm. 1-20", ind="0 "),
        leader=CHAPTER_LEADER,
    )


def article() -> Record:
    return marc(
        "A-2021-011", "Keterlibatan membaca siswa sekolah menengah",
        field("100", "a", "Lestari, Putri", ind="1 "),
        field("260", "c", "2021"),
        field("773", "t", "Jurnal Kajian Perpustakaan", "g", "Vol. 12, no. 3 (2021), Article e0123", ind="0 "),
        leader=ARTICLE_LEADER,
    )


# --- MARC → CatalogRecord ------------------------------------------------------------


def test_a_thesis_note_gives_degree_institution_and_the_advisor_is_no_author() -> None:
    record = marc_to_record(skripsi(), fallback_id="x")
    assert (record.kind, record.degree, record.institution) == (Kind.THESIS, "Skripsi (S1)", "Universitas Diponegoro")
    assert (record.authors, record.contributors) == (("Rahmawati, Dewi Sri",), ("Wibowo, Agus",))


@pytest.mark.parametrize(
    ("note", "degree", "institution", "year"),
    [
        (field("502", "a", "Tesis (M.Hum.) -- Universitas Gadjah Mada, 2015"), "Tesis (M.Hum.)", "Universitas Gadjah Mada", 2015),
        (field("502", "a", "Thesis (Ph. D.)--University of Michigan, 2001."), "Thesis (Ph. D.)", "University of Michigan", 2001),
        (field("502", "a", "Skripsi Universitas Negeri Malang, 2020"), "Skripsi", "Universitas Negeri Malang", 2020),
        (field("502", "b", "Disertasi (S3)", "c", "Institut Pertanian Bogor,", "d", "2018."), "Disertasi (S3)", "Institut Pertanian Bogor", 2018),
        (field("502", "a", "Tesis"), "Tesis", "", None),
    ],
)
def test_dissertation_notes_as_catalogers_write_them(note: Field, degree: str, institution: str, year: int | None) -> None:
    record = marc_to_record(marc("t1", "Judul", note, leader=THESIS_LEADER), fallback_id="x")
    assert (record.degree, record.institution, record.year) == (degree, institution, year)


@pytest.mark.parametrize(
    ("added", "editors", "authors"),
    [
        (field("700", "a", "Kusnadi, Hendra,", "e", "editor.", ind="1 "), ("Kusnadi, Hendra",), ()),
        (field("700", "a", "Kusnadi, Hendra,", "e", "penyunting.", ind="1 "), ("Kusnadi, Hendra",), ()),
        (field("700", "a", "Kusnadi, Hendra,", "e", "ed.", ind="1 "), ("Kusnadi, Hendra",), ()),
        (field("700", "a", "Kusnadi, Hendra,", "4", "http://id.loc.gov/vocabulary/relators/edt", ind="1 "), ("Kusnadi, Hendra",), ()),
        (field("700", "a", "Kusnadi, Hendra (ed.)", ind="1 "), ("Kusnadi, Hendra",), ()),
        (field("710", "a", "Perpustakaan Nasional,", "e", "editor.", ind="2 "), ("Perpustakaan Nasional",), ()),
        (field("700", "a", "Kusnadi, Hendra,", "e", "pengarang.", ind="1 "), (), ("Kusnadi, Hendra",)),
        (field("700", "a", "Kusnadi, Hendra.", ind="1 "), (), ("Kusnadi, Hendra",)),
        (field("700", "a", "Kusnadi, Hendra,", "e", "a word nobody knows", ind="1 "), (), ("Kusnadi, Hendra",)),
        (field("700", "a", "Kusnadi, Hendra,", "e", "penerjemah.", ind="1 "), (), ()),
    ],
)
def test_relators_say_who_is_an_editor(added: Field, editors: tuple[str, ...], authors: tuple[str, ...]) -> None:
    record = marc_to_record(marc("b1", "Buku", added), fallback_id="x")
    assert (record.editors, record.authors) == (editors, authors)


@pytest.mark.parametrize(
    ("where", "parts"),
    [
        ("hlm. 1-20", ("", "", "1-20", "")),
        ("Vol. 12, no. 3 (2020), p. 45-60", ("12", "3", "45-60", "")),
        ("Vol. 5 No. 2 (2019): 101-115", ("5", "2", "101-115", "")),
        ("12(3):45-60", ("12", "3", "45-60", "")),
        ("Vol. 12, no. 3 (2021), Article e0123", ("12", "3", "", "e0123")),
    ],
)
def test_a_parts_host_and_where_in_it(where: str, parts: tuple[str, str, str, str]) -> None:
    record = marc_to_record(marc("a1", "Artikel", field("773", "t", "Jurnal Kajian Perpustakaan.", "g", where),
                                 leader=ARTICLE_LEADER), fallback_id="x")
    assert record.container == "Jurnal Kajian Perpustakaan"
    assert (record.volume, record.issue, record.pages, record.article_number) == parts


def test_a_books_773_is_a_collection_not_a_container() -> None:
    record = marc_to_record(marc("b1", "Buku", field("773", "t", "Springer e-books")), fallback_id="x")
    assert record.container == ""


def test_unimarc_editor_code_and_dissertation_note() -> None:
    record = Record(leader="00000nam  2200000   4500")
    record.add_field(
        field("200", "a", "Minat baca siswa"),
        field("205", "a", "Edisi 2"),
        field("210", "c", "Universitas Cendana Raya", "d", "2020"),
        field("328", "b", "Tesis (S2)", "e", "Universitas Cendana Raya", "d", "2020"),
        field("700", "a", "Setiawan", "b", "Agus", "4", "070", ind=" 1"),
        field("702", "a", "Kusnadi", "b", "Hendra", "4", "340", ind=" 1"),
        field("702", "a", "Wibowo", "b", "Agus", "4", "727", ind=" 1"),
    )
    mapped = unimarc_to_record(record, fallback_id="u1")
    assert (mapped.kind, mapped.degree, mapped.institution, mapped.edition) == (
        Kind.THESIS, "Tesis (S2)", "Universitas Cendana Raya", "Edisi 2")
    assert (mapped.authors, mapped.editors, mapped.contributors) == (("Setiawan, Agus",), ("Kusnadi, Hendra",), ("Wibowo, Agus",))


def test_blobs_from_older_and_newer_builds_are_read() -> None:
    record = marc_to_record(chapter(), fallback_id="x")
    stored = json.loads(record.to_json())
    older = {k: v for k, v in stored.items() if k not in ("editors", "contributors", "degree", "container", "pages")}
    assert CatalogRecord.from_json(json.dumps(older)).editors == ()
    newer = {**stored, "a_field_of_tomorrow": ["x"]}
    assert CatalogRecord.from_json(json.dumps(newer)) == record


# --- through `refbot index build` and a search, into the patron's list ------------------------


def run(argv: list[str], settings: Settings) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=None)
    top = argparse.ArgumentParser(prog="refbot")
    add_index_commands(top.add_subparsers(dest="command", required=True), common)
    args = top.parse_args(argv)
    code: int = args.handler(args, settings)
    return code


@pytest.fixture
def built(tmp_path: Path, open_index: list[CatalogIndex], capsys: pytest.CaptureFixture[str]) -> CatalogIndex:
    settings = Settings(catalog=CatalogSettings(index_dir="ix"), base_dir=str(tmp_path))
    exports = [write(tmp_path / "koha.mrc", iso(skripsi(), edited_book())),
               write(tmp_path / "analytics.xml", marcxml(chapter(), article()))]
    assert run(["index", "build", *map(str, exports)], settings) == 0
    assert "indexed           4" in capsys.readouterr().out
    index = CatalogIndex(tmp_path / "ix")
    open_index.append(index)
    return index


def found(index: CatalogIndex, *words: str) -> dict[str, Candidate]:
    need = InformationNeed(raw=" ".join(words), terms=tuple(Term(w) for w in words))
    return {c.source_id: c for c in index.search(need, limit=10)}


def test_a_search_gives_candidates_with_editors_edition_degree(built: CatalogIndex) -> None:
    hits = found(built, "linked", "data", "literasi", "membaca")
    thesis, book, part, paper = hits["T-2019-001"], hits["B-2020-007"], hits["C-2020-003"], hits["A-2021-011"]
    assert (thesis.degree, thesis.publisher, thesis.authors) == ("Skripsi (S1)", "Universitas Diponegoro", ("Rahmawati, Dewi Sri",))
    assert (book.editors, book.edition, book.authors) == (("Kusnadi, Hendra",), "Ed. ke-2", ())
    assert (part.editors, part.container, part.pages) == (("Kusnadi, Hendra",), "Linked data untuk perpustakaan", "1-20")
    assert (paper.container, paper.volume, paper.issue, paper.article_number) == ("Jurnal Kajian Perpustakaan", "12", "3", "e0123")


def test_editors_and_advisors_are_still_indexed_by_name(built: CatalogIndex, tmp_path: Path) -> None:
    generation = (tmp_path / "ix" / "CURRENT").read_text(encoding="utf-8").strip()
    ix = whoosh_index.open_dir(str(tmp_path / "ix" / generation))
    with ix.searcher() as searcher:
        def named(name: str) -> set[str]:
            [word] = analyze(ix.schema["authors"].analyzer, name)
            return {hit["id"] for hit in searcher.search(WhooshTerm("authors", word), limit=None)}

        assert named("Kusnadi") == {"B-2020-007", "C-2020-003"}
        assert named("Wibowo") == {"T-2019-001"}


def test_the_patrons_list_in_indonesian(built: CatalogIndex) -> None:
    hits = found(built, "linked", "data", "literasi", "membaca")
    lines = {key: patron_item(c, "id").splitlines()[0] for key, c in hits.items()}
    assert lines["T-2019-001"] == ("Rahmawati, D. S. (2019). _Literasi informasi mahasiswa tingkat akhir_"
                                   " [Skripsi tidak diterbitkan]. Universitas Diponegoro.")
    assert lines["B-2020-007"] == "Kusnadi, H. (Ed.). (2020). _Linked data untuk perpustakaan_ (Ed. ke-2). Undip Press."
    assert lines["C-2020-003"] == ("Santoso, B. (2020). Metadata bibliografis dan linked data. In H. Kusnadi (Ed.),"
                                   " _Linked data untuk perpustakaan_ (pp. 1–20). Undip Press.")
    assert lines["A-2021-011"] == ("Lestari, P. (2021). Keterlibatan membaca siswa sekolah menengah."
                                   " _Jurnal Kajian Perpustakaan_, _12_(3), Article e0123.")


def test_the_patrons_list_in_english(built: CatalogIndex) -> None:
    hits = found(built, "linked", "data", "literasi")
    lines = {key: patron_item(c, "en").splitlines()[0] for key, c in hits.items()}
    assert "[Unpublished bachelor's thesis]. Universitas Diponegoro." in lines["T-2019-001"]
    assert lines["B-2020-007"] == "Kusnadi, H. (Ed.). (2020). _Linked data untuk perpustakaan_ (2nd ed.). Undip Press."
    assert "In H. Kusnadi (Ed.), _Linked data untuk perpustakaan_ (pp. 1–20). Undip Press." in lines["C-2020-003"]


def test_the_manifest_says_what_records_hold(built: CatalogIndex, tmp_path: Path) -> None:
    generation = (tmp_path / "ix" / "CURRENT").read_text(encoding="utf-8").strip()
    manifest = json.loads((tmp_path / "ix" / generation / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["record_version"] == 2
