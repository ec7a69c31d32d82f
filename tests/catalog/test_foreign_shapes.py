"""Record shapes found in other MARC readers' test suites (ruby-marc, File_MARC, MARC::File::MARCMaker,
marcjs), written small here: Latin-1 exports, UTF-8 with a few bad bytes, MARC-8 character
references, MARCMaker's blanks and mnemonics, ISO 2709 without subfields, UNIMARC punctuation."""

from __future__ import annotations

from pathlib import Path

from refbot.catalog.index import build_index
from refbot.catalog.iso2709 import NO_SUBFIELDS, REPLACED, code_page_note
from refbot.catalog.readers import read_file
from refbot.catalog.record import CatalogRecord, RejectedRecord, Repair
from tests.catalog.conftest import iso, marc, raw_iso, write

MARC8_LEADER = b"00000nam  2200000 a 4500"
UTF8_LEADER = b"00000nam a2200000 a 4500"


def read(path: Path) -> tuple[list[CatalogRecord], list[RejectedRecord], list[str]]:
    repairs: list[Repair] = []
    items = list(read_file(path, repairs))
    good = [i for i in items if isinstance(i, CatalogRecord)]
    return good, [i for i in items if isinstance(i, RejectedRecord)], [r.what for r in repairs]


# --- character codings ---------------------------------------------------------------


def test_a_latin1_export_reads_as_latin1_not_as_cyrillic_or_marc8(tmp_path: Path) -> None:
    # Swedish in Latin-1 under a MARC-8 leader: 0xE4 ("ä") is also MARC-8's tilde before a
    # letter, and every Latin-1 letter is a Cyrillic one in Windows-1251.
    record = raw_iso(
        [
            ("001", b"se1"),
            ("100", b"1 \x1faJanssonov\xe1, Tove"),
            ("245", b"10\x1faDet osynliga barnet och andra ber\xe4ttelser"),
            ("650", b" 4\x1faSk\xf6nlitteratur"),
        ],
        leader=MARC8_LEADER,
    )
    [book], rejected, repairs = read(write(tmp_path / "latin1.mrc", record))
    assert (book.title, book.authors, book.subjects) == (
        "Det osynliga barnet och andra berättelser",
        ("Janssonová, Tove",),
        ("Skönlitteratur",),
    )
    assert rejected == [] and repairs == [code_page_note("cp1252")]


def test_real_cyrillic_in_a_code_page_still_reads_as_cyrillic(tmp_path: Path) -> None:
    record = raw_iso(
        [("001", b"ru1"), ("245", b"10\x1fa" + "Сборник задач CRAFT по гидравлике".encode("cp1251"))],
        leader=MARC8_LEADER,
    )
    [book], _, repairs = read(write(tmp_path / "ru.mrc", record))
    assert book.title == "Сборник задач CRAFT по гидравлике"
    assert repairs == [code_page_note("cp1251")]


def test_utf8_with_a_few_bad_bytes_loses_only_those_bytes(tmp_path: Path) -> None:
    title = "Kamus Čhin Klāng–Thai".encode() + b" \xc3( edisi baru"
    for leader in (UTF8_LEADER, MARC8_LEADER):
        record = raw_iso([("001", b"u1"), ("245", b"10\x1fa" + title)], leader=leader)
        [book], _, repairs = read(write(tmp_path / "bad-bytes.mrc", record))
        assert book.title == "Kamus Čhin Klāng–Thai \ufffd( edisi baru"
        assert repairs == [REPLACED]


def test_marc8_character_references_become_characters(tmp_path: Path) -> None:
    # LC's lossless MARC-8: what MARC-8 cannot hold is written as &#xXXXX;.
    plain = raw_iso([("001", b"n1"), ("245", b"10\x1faPerpustakaan &#x1EA0;ng &#x00E9;tude")], leader=MARC8_LEADER)
    marc8 = raw_iso([("001", b"n2"), ("245", b"10\x1faTh\xe2eatre &#x0141;od\xe2z")], leader=MARC8_LEADER)
    labelled_utf8 = iso(marc("n3", "Kode &#x00E9; ditulis apa adanya"))
    books, _, _ = read(write(tmp_path / "ncr.mrc", plain + marc8 + labelled_utf8))
    assert [b.title for b in books] == [
        "Perpustakaan Ạng étude",
        "Théatre Łodź",
        "Kode &#x00E9; ditulis apa adanya",  # UTF-8 records have no need of references
    ]


# --- structure -------------------------------------------------------------------------


def test_iso2709_without_indicators_or_subfields_is_refused_with_a_reason(tmp_path: Path) -> None:
    # Some Russian systems write leader/10-11 "00": data fields with no indicators and no $a.
    bare = raw_iso([("001", b"x1"), ("200", "Основы гидравлики".encode("cp866"))])
    bare = bare[:10] + b"00" + bare[12:]
    path = write(tmp_path / "national.mrc", bare + iso(marc("ok1", "Literasi informasi")))
    books, rejected, _ = read(path)
    assert [b.id for b in books] == ["ok1"]
    assert [(r.position, r.reason, r.control_number) for r in rejected] == [(1, NO_SUBFIELDS, "x1")]


def test_unimarc_part_with_its_own_opening_mark(tmp_path: Path) -> None:
    record = raw_iso(
        [
            ("001", b"FR1"),
            ("200", b"1 \x1faTipografi Yunani\x1fbTeks tercetak\x1fe, 1465-1927, katalog pameran"),
            ("700", b" 1\x1faKenyon\x1fbFrederic"),
        ],
        leader=UTF8_LEADER,
    )
    [book], _, _ = read(write(tmp_path / "unimarc.mrc", record))
    assert book.title == "Tipografi Yunani: 1465-1927, katalog pameran"


# --- MARCMaker ----------------------------------------------------------------------------

# MARCMaker writes a blank as a backslash; "#" stands for one here, to keep the lines readable.
MRK = """=LDR  00000nam##22000007a#4500
=001  inlis0042#
=008  190101s2019####io##################ind#d
=100  1#$aWa{lstrok}{acute}esa, {Dstrok}uro
=245  10$aHarga buku {dollar}25 di {acute}Ecole {lcub}edisi{rcub} {zilch}
=650  #0$aPerpustakaan

=LDR  00000nam##22000007a#4500
=001  inlis0043#
=245  00$aKatalog kedua
""".replace("#", "\\")


def test_marcmaker_blanks_and_mnemonics_are_undone(tmp_path: Path) -> None:
    books, rejected, _ = read(write(tmp_path / "export.mrk", MRK))
    assert rejected == []
    first, second = books
    assert [first.id, second.id] == ["inlis0042", "inlis0043"]
    assert first.title == "Harga buku $25 di École {edisi} {zilch}"
    assert first.authors == ("Wałésa, Đuro",)
    assert (first.year, first.language) == (2019, "id")


def test_a_build_reports_what_it_could_not_read_and_keeps_the_rest(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    bare = raw_iso([("001", b"x1"), ("200", b"plain")])
    write(exports / "a.mrc", bare[:10] + b"00" + bare[12:] + iso(marc("b1", "Satu")))
    write(exports / "b.mrk", MRK)
    report = build_index([exports], tmp_path / "index")
    assert report.indexed == 3
    assert [(Path(r.file).name, r.reason) for r in report.rejected] == [("a.mrc", NO_SUBFIELDS)]
