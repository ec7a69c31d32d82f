"""Files that used to stop a build or read wrongly: line endings, NUL filler, JSON Lines, codings, UNIMARC, broken XML."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from refbot.catalog.cli import summary
from refbot.catalog.index import build_index
from refbot.catalog.readers import LEADING_NULS, Format, detect_format, read_file
from refbot.catalog.record import CatalogRecord, RejectedRecord, Repair
from tests.catalog.conftest import csv_rows, iso, marc, raw_iso, write

THEATRE_MARC8 = b"10\x1faTh\xe2e\xe3atre et soci\xe2et\xe2e"  # MARC-8: the acute (0xE2) comes before its letter
UTF8_LEADER = b"00000nam a2200000 a 4500"
MARC8_LEADER = b"00000nam  2200000 a 4500"


def good(items: list[CatalogRecord | RejectedRecord]) -> list[CatalogRecord]:
    return [i for i in items if isinstance(i, CatalogRecord)]


def bad(items: list[CatalogRecord | RejectedRecord]) -> list[RejectedRecord]:
    return [i for i in items if isinstance(i, RejectedRecord)]


# 1. A bare carriage return


def test_bare_cr_in_the_head_never_raises_from_detection() -> None:
    assert detect_format(b"\x1f\x8b\x08\x00junk\rmore junk\n") is Format.UNKNOWN
    assert detect_format(b"id,title,year\rk1,Satu,2001\r") is Format.CSV
    assert detect_format(b"something\rwith,title,year\n") is Format.UNKNOWN


def test_csv_with_classic_mac_line_endings_is_read(tmp_path: Path) -> None:
    text = csv_rows("k1,Mengelola perpustakaan,,2006,,,,,,,,,,,,", "k2,Library management,,2013,,,,,,,,,,,,").replace("\n", "\r")
    items = list(read_file(write(tmp_path / "mac.csv", text.encode())))
    assert [(r.id, r.year) for r in good(items)] == [("k1", 2006), ("k2", 2013)]
    assert bad(items) == []


def test_one_unreadable_file_costs_only_itself(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    write(exports / "a.mrc", iso(marc("b1", "Mengelola perpustakaan"), marc("b2", "Literasi informasi")))
    write(exports / "b.csv.gz", gzip.compress(b"id,title\rk1,Satu\r" * 50))
    write(exports / "c.bin", b"\x00\x01\x02garbage\rwith a carriage return\n")
    report = build_index([exports], tmp_path / "index")
    assert report.indexed == 2
    reasons = {Path(r.file).name: r.reason for r in report.rejected}
    assert reasons["b.csv.gz"].startswith("a gzip-compressed file")
    assert reasons["c.bin"].startswith("not MARC 21")
    assert "a gzip-compressed file" in summary(report, "Built")


# 2. Leading NUL filler


def test_leading_nuls_are_skipped_and_noted(tmp_path: Path) -> None:
    data = b"\x00" * 64 + iso(marc("b1", "Satu"), marc("b2", "Dua"))
    assert detect_format(data[:4096]) is Format.ISO2709
    repairs: list[Repair] = []
    items = list(read_file(write(tmp_path / "nul.mrc", data), repairs))
    assert [r.id for r in good(items)] == ["b1", "b2"]
    assert [(r.position, r.what) for r in repairs] == [(0, LEADING_NULS)]


def test_leading_nuls_before_a_csv(tmp_path: Path) -> None:
    data = b"\x00\x00" + csv_rows("k1,Satu,,2001,,,,,,,,,,,,").encode()
    assert [r.id for r in good(list(read_file(write(tmp_path / "nul.csv", data))))] == ["k1"]


# 3. MARC-in-JSON, one record a line


def test_marc_in_json_lines(tmp_path: Path) -> None:
    lines = [json.dumps(marc(f"j{n}", f"Judul {n}").as_dict()) for n in (1, 2, 3)]
    lines[1] = lines[1][:-5]  # a line cut short
    items = list(read_file(write(tmp_path / "records.ndjson", "\n".join(lines) + "\n")))
    assert [r.id for r in good(items)] == ["j1", "j3"]
    [reject] = bad(items)
    assert reject.position == 2
    assert reject.reason.startswith("not valid JSON (the record starting on line 2:")


def test_marc_in_json_array_and_lines_of_arrays(tmp_path: Path) -> None:
    records = [marc("a1", "Satu").as_dict(), marc("a2", "Dua").as_dict()]
    as_array = json.dumps(records, indent=2)
    assert [r.id for r in good(list(read_file(write(tmp_path / "array.json", as_array))))] == ["a1", "a2"]
    two_lines = json.dumps(records[:1]) + "\n" + json.dumps(records[1:]) + "\n"
    assert [r.id for r in good(list(read_file(write(tmp_path / "arrays.json", two_lines))))] == ["a1", "a2"]


# 4. Character codings that disagree with leader/09


def test_marc8_text_in_a_record_labelled_utf8_is_read_as_marc8(tmp_path: Path) -> None:
    record = raw_iso([("001", b"m1"), ("245", THEATRE_MARC8)], leader=UTF8_LEADER)
    repairs: list[Repair] = []
    [item] = read_file(write(tmp_path / "m.mrc", record), repairs)
    assert isinstance(item, CatalogRecord)
    assert item.title == "Théâtre et société"
    assert [(r.position, r.control_number, r.what) for r in repairs] == [(1, "m1", "MARC-8 text in a record labelled UTF-8")]


def test_utf8_text_in_a_record_labelled_marc8_is_noted(tmp_path: Path) -> None:
    record = raw_iso([("001", b"u1"), ("245", "10\x1faThéâtre".encode())], leader=MARC8_LEADER)
    repairs: list[Repair] = []
    [item] = read_file(write(tmp_path / "u.mrc", record), repairs)
    assert isinstance(item, CatalogRecord) and item.title == "Théâtre"
    assert [r.what for r in repairs] == ["UTF-8 text in a record labelled MARC-8"]


def test_correctly_labelled_records_need_no_repair(tmp_path: Path) -> None:
    marc8 = raw_iso([("001", b"m8"), ("245", THEATRE_MARC8)], leader=MARC8_LEADER)
    repairs: list[Repair] = []
    items = list(read_file(write(tmp_path / "ok.mrc", iso(marc("b1", "Bibliothèque")) + marc8), repairs))
    assert [r.title for r in good(items)] == ["Bibliothèque", "Théâtre et société"]
    assert repairs == []


def test_cyrillic_code_page_is_recognised(tmp_path: Path) -> None:
    record = raw_iso([("001", b"r1"), ("245", b"10\x1fa" + "Основы гидравлики".encode("cp1251"))], leader=MARC8_LEADER)
    repairs: list[Repair] = []
    [item] = read_file(write(tmp_path / "r.mrc", record), repairs)
    assert isinstance(item, CatalogRecord) and item.title == "Основы гидравлики"
    assert [r.what for r in repairs] == ["text in code page cp1251, neither UTF-8 nor MARC-8"]


def test_build_summary_counts_repairs(tmp_path: Path) -> None:
    mislabelled = raw_iso([("001", b"m1"), ("245", THEATRE_MARC8)], leader=UTF8_LEADER)
    path = write(tmp_path / "export.mrc", b"\x00\x00" + iso(marc("b1", "Satu")) + mislabelled)
    report = build_index([path], tmp_path / "index")
    assert report.indexed == 2
    assert {what: len(r) for what, r in report.by_repair().items()} == {
        LEADING_NULS: 1,
        "MARC-8 text in a record labelled UTF-8": 1,
    }
    text = summary(report, "Built")
    assert "  repaired          2" in text
    assert "MARC-8 text in a record labelled UTF-8: " in text and "export.mrc #2 [m1]" in text


# 5. UNIMARC and MARCMaker


def test_unimarc_in_cp866_is_mapped(tmp_path: Path) -> None:
    def cp866(text: str) -> bytes:
        return text.encode("cp866")

    record = raw_iso(
        [
            ("001", b"u1"),
            ("010", b"  \x1fa5-93093-342-1"),
            ("100", b"  \x1fa20050101d2005    u  y0rusy0189    ca"),
            ("101", b"0 \x1farus"),
            ("200", b"1 \x1fa" + cp866("Война и мир") + b"\x1fe" + cp866("роман")),
            ("210", b"  \x1fa" + cp866("Москва") + b"\x1fc" + cp866("Эксмо") + b"\x1fd2005"),
            ("606", b"  \x1fa" + cp866("Литература") + b"\x1fx" + cp866("История")),
            ("700", b" 1\x1fa" + cp866("Толстой") + b"\x1fb" + cp866("Лев")),
            ("701", b" 1\x1fa" + cp866("Иванов") + b"\x1fb" + cp866("Иван")),
        ],
        leader=b"00000nam0 2200000   450 ",
    )
    [item] = read_file(write(tmp_path / "unimarc.iso", record))
    assert isinstance(item, CatalogRecord)
    assert (item.id, item.title, item.year, item.publisher) == ("u1", "Война и мир: роман", 2005, "Эксмо")
    assert item.authors == ("Толстой, Лев", "Иванов, Иван")
    assert item.subjects == ("Литература -- История",)
    assert (item.isbn, item.language) == (("5930933421",), "rus")


def test_marcmaker_with_classic_mac_line_endings(tmp_path: Path) -> None:
    text = "=LDR  00000nam  2200000 a 4500\r=001  mk1\r=245  10$aMengelola perpustakaan\r\r=LDR  00000nam  2200000 a 4500\r=001  mk2\r=245  10$aDua\r"
    items = list(read_file(write(tmp_path / "mac.mrk", text)))
    assert [(r.id, r.title) for r in good(items)] == [("mk1", "Mengelola perpustakaan"), ("mk2", "Dua")]


# 6. Malformed MARCXML

XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">\n'


def xml_record(number: str, title: str, close_subfield: bool = True) -> bytes:
    end = b"</marc:subfield>" if close_subfield else b""
    return (
        b"<marc:record>\n  <marc:leader>00000nam a2200000 a 4500</marc:leader>\n"
        b'  <marc:controlfield tag="001">' + number.encode() + b"</marc:controlfield>\n"
        b'  <marc:datafield tag="245" ind1="1" ind2="0">\n    <marc:subfield code="a">' + title.encode() + end + b"\n"
        b"  </marc:datafield>\n</marc:record>\n"
    )


def test_broken_xml_record_is_rejected_with_its_line_and_the_rest_read(tmp_path: Path) -> None:
    data = XML_HEAD + xml_record("x1", "Satu") + xml_record("x2", "Dua", close_subfield=False) + xml_record("x3", "Tiga") + b"</marc:collection>\n"
    items = list(read_file(write(tmp_path / "three.xml", data)))
    assert [r.id for r in good(items)] == ["x1", "x3"]
    [reject] = bad(items)
    assert reject.position == 2
    assert reject.category == "XML is not well-formed"
    assert "(line 15, column 5: mismatched tag)" in reject.reason  # the </marc:datafield> closing the open subfield


def test_unescaped_ampersand_spoils_only_its_record(tmp_path: Path) -> None:
    data = XML_HEAD + xml_record("x1", "Satu") + xml_record("x2", "Ilmu & seni") + xml_record("x3", "Tiga") + b"</marc:collection>"
    items = list(read_file(write(tmp_path / "amp.xml", data)))
    assert [r.id for r in good(items)] == ["x1", "x3"]
    assert [(r.position, "line 14" in r.reason) for r in bad(items)] == [(2, True)]


def test_xml_declared_in_latin1(tmp_path: Path) -> None:
    head = XML_HEAD.replace(b"UTF-8", b"ISO-8859-1")
    data = head + xml_record("x1", "Café").replace("Café".encode(), "Café".encode("latin-1")) + b"</marc:collection>"
    assert [r.title for r in good(list(read_file(write(tmp_path / "latin1.xml", data))))] == ["Café"]
