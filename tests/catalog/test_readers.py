"""Reading exports: formats told by content, and broken records that never hide the good ones."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from refbot.catalog.readers import Format, detect_format, read_file
from refbot.catalog.record import CatalogRecord, RejectedRecord
from tests.catalog.conftest import csv_rows, iso, marc, marcxml, raw_iso, write


def good(items: list[CatalogRecord | RejectedRecord]) -> list[CatalogRecord]:
    return [i for i in items if isinstance(i, CatalogRecord)]


def bad(items: list[CatalogRecord | RejectedRecord]) -> list[RejectedRecord]:
    return [i for i in items if isinstance(i, RejectedRecord)]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"01234nam a2200289 a 4500001", Format.ISO2709),
        (b"\xef\xbb\xbf<?xml version='1.0'?><collection>", Format.MARCXML),
        (b"  \n<record xmlns='http://www.loc.gov/MARC21/slim'>", Format.MARCXML),
        (b'[{"leader": "00000nam", "fields": []}]', Format.MARCJSON),
        (b"=LDR  00000nam  2200000 a 4500\n=001  x", Format.MARCMAKER),
        (b"id;TITLE;authors\n1;a;b", Format.CSV),
        (b"INSERT INTO biblio VALUES (1, 'x');", Format.UNKNOWN),
    ],
)
def test_format_is_told_from_content(head: bytes, expected: Format) -> None:
    assert detect_format(head) is expected


def test_extension_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", iso(marc("b1", "Mengelola perpustakaan")))
    assert [r.title for r in good(list(read_file(path)))] == ["Mengelola perpustakaan"]


def test_utf8_iso2709(tmp_path: Path) -> None:
    records = [marc("b1", "Pengantar ilmu perpustakaan"), marc("b2", "Bibliothèque et société")]
    items = list(read_file(write(tmp_path / "utf8.mrc", iso(*records))))
    assert [(r.id, r.title) for r in good(items)] == [
        ("b1", "Pengantar ilmu perpustakaan"),
        ("b2", "Bibliothèque et société"),
    ]


def test_marc8_iso2709_is_decoded(tmp_path: Path) -> None:
    # MARC-8 puts the combining diacritic (0xE8 umlaut, 0xE2 acute) before the letter.
    record = raw_iso([("001", b"m8"), ("100", b"1 \x1faM\xe8uller, Hans"), ("245", b"10\x1faCaf\xe2e society")])
    [item] = read_file(write(tmp_path / "marc8.mrc", record))
    assert isinstance(item, CatalogRecord)
    assert nfc(item.title) == "Café society"
    assert [nfc(a) for a in item.authors] == ["Müller, Hans"]


def test_marc8_cjk_cut_short_is_read_quietly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # ESC $ 1 switches to three-byte CJK; two bytes left over make pymarc print to stderr.
    record = raw_iso([("001", b"cjk"), ("245", b"10\x1faTitle \x1b$1\x21\x30\x21\x21\x30")])
    [item] = read_file(write(tmp_path / "cjk.mrc", record))
    assert isinstance(item, CatalogRecord)
    assert item.title.startswith("Title")
    assert capfd.readouterr().err == ""


def test_utf8_text_in_a_record_marked_marc8_is_read_as_utf8(tmp_path: Path) -> None:
    record = raw_iso([("001", b"u1"), ("245", b"10\x1faKebijakan pendidikan di Surab\xc3\xa4ya")])
    [item] = read_file(write(tmp_path / "mislabelled.mrc", record))
    assert isinstance(item, CatalogRecord)
    assert item.title == "Kebijakan pendidikan di Surabäya"


def test_wrong_length_in_leader_does_not_matter(tmp_path: Path) -> None:
    first = bytearray(iso(marc("b1", "Panjang salah")))
    first[0:5] = b"00099"
    data = bytes(first) + iso(marc("b2", "Sesudahnya"))
    assert [r.id for r in good(list(read_file(write(tmp_path / "len.mrc", data))))] == ["b1", "b2"]


def test_record_cut_short_is_rejected_and_the_next_one_read(tmp_path: Path) -> None:
    cut = iso(marc("b1", "Terpotong di tengah jalan"))[:-30]  # its terminator went with the cut
    data = iso(marc("b0", "Sebelumnya")) + cut + iso(marc("b2", "Sesudahnya"))
    items = list(read_file(write(tmp_path / "cut.mrc", data)))
    assert [r.id for r in good(items)] == ["b0", "b2"]
    [reject] = bad(items)
    assert (reject.position, reject.control_number) == (2, "b1")
    assert reject.reason.startswith("record cut short")


def test_file_ending_inside_a_record(tmp_path: Path) -> None:
    data = iso(marc("b1", "Utuh")) + iso(marc("b2", "Terpotong"))[:-40]
    items = list(read_file(write(tmp_path / "truncated.mrc", data)))
    assert [r.id for r in good(items)] == ["b1"]
    [reject] = bad(items)
    assert reject.position == 2
    assert "file ends inside it" in reject.reason


def test_bad_directory_rejects_only_that_record(tmp_path: Path) -> None:
    broken = bytearray(iso(marc("b2", "Direktori rusak")))
    broken[24 + 3 : 24 + 7] = b"ab12"  # the first directory entry's length
    data = iso(marc("b1", "Baik")) + bytes(broken) + iso(marc("b3", "Baik juga"))
    items = list(read_file(write(tmp_path / "dir.mrc", data)))
    assert [r.id for r in good(items)] == ["b1", "b3"]
    [reject] = bad(items)
    assert reject.position == 2
    assert "malformed directory" in reject.reason
    assert reject.file.endswith("dir.mrc")


def test_directory_pointing_past_the_data_is_rejected(tmp_path: Path) -> None:
    whole = raw_iso([("001", b"b2"), ("245", b"10\x1faPanjang"), ("650", b" 0\x1faHilang")])
    lost_field = len(b" 0\x1faHilang\x1e")
    broken = whole[: -1 - lost_field] + b"\x1d"  # the directory still lists the 650
    items = list(read_file(write(tmp_path / "past.mrc", broken + iso(marc("b3", "Baik")))))
    assert [r.id for r in good(items)] == ["b3"]
    [reject] = bad(items)
    assert (reject.position, reject.control_number) == (1, "b2")
    assert reject.reason.startswith("the directory points past the end of the record")


def test_garbage_between_records(tmp_path: Path) -> None:
    data = iso(marc("b1", "Satu")) + b"\r\n--- potongan sampah ---\r\n" + iso(marc("b2", "Dua")) + b"\n\n"
    items = list(read_file(write(tmp_path / "junk.mrc", data)))
    assert [r.id for r in good(items)] == ["b1", "b2"]
    [reject] = bad(items)
    assert "not a MARC record" in reject.reason


def test_garbage_piece_on_its_own(tmp_path: Path) -> None:
    data = iso(marc("b1", "Satu")) + b"rubbish that ends like a record\x1d" + iso(marc("b2", "Dua"))
    items = list(read_file(write(tmp_path / "junk2.mrc", data)))
    assert [r.id for r in good(items)] == ["b1", "b2"]
    assert [r.position for r in bad(items)] == [2]


def test_fields_realigned_when_offsets_count_characters(tmp_path: Path) -> None:
    # Some exporters count lengths in characters: every offset after "é" is one byte short.
    record = bytearray(raw_iso([("001", b"c1"), ("245", b"10\x1faCaf\xc3\xa9 dan buku"), ("650", b" 0\x1faKopi")], leader=b"00000nam a2200000 a 4500"))
    base = int(record[12:17])
    entry_245, entry_650 = 24 + 12, 24 + 24
    record[entry_245 + 3 : entry_245 + 7] = b"%04d" % (int(record[entry_245 + 3 : entry_245 + 7]) - 1)
    record[entry_650 + 7 : entry_650 + 12] = b"%05d" % (int(record[entry_650 + 7 : entry_650 + 12]) - 1)
    assert base
    [item] = read_file(write(tmp_path / "chars.mrc", bytes(record)))
    assert isinstance(item, CatalogRecord)
    assert (item.title, item.subjects) == ("Café dan buku", ("Kopi",))


def test_record_without_control_number_gets_file_and_position(tmp_path: Path) -> None:
    record = marc("x", "Tanpa nomor")
    record.remove_fields("001")
    [item] = read_file(write(tmp_path / "anon.mrc", iso(record)))
    assert isinstance(item, CatalogRecord)
    assert item.id == "anon.mrc#1"


def test_marcxml(tmp_path: Path) -> None:
    data = marcxml(marc("x1", "Literasi informasi"), marc("x2", "Information literacy"))
    assert [r.title for r in good(list(read_file(write(tmp_path / "a.xml", data))))] == [
        "Literasi informasi",
        "Information literacy",
    ]


def test_invalid_xml_yields_what_it_can(tmp_path: Path) -> None:
    data = marcxml(marc("x1", "Sebelum rusak"))[: -len(b"</collection>")]
    data += b'<record><leader>00000nam a2200000 a 4500</leader><datafield tag="245"><subfield code="a">Rusak'
    items = list(read_file(write(tmp_path / "broken.xml", data)))
    assert [r.id for r in good(items)] == ["x1"]
    [reject] = bad(items)
    assert reject.position == 2
    assert reject.reason.startswith("XML is not well-formed")


def test_junk_after_the_xml_root(tmp_path: Path) -> None:
    data = marcxml(marc("x1", "Satu"), marc("x2", "Dua")) + b"\n<collection>more</collection>"
    items = list(read_file(write(tmp_path / "junk.xml", data)))
    assert [r.id for r in good(items)] == ["x1", "x2"]
    assert [r.position for r in bad(items)] == [0]


def test_malformed_xml_element_spoils_only_its_record(tmp_path: Path) -> None:
    data = marcxml(marc("x1", "Satu"), marc("x2", "Dua"), marc("x3", "Tiga"))
    data = data.replace(b'<datafield ind1=" " ind2=" " tag="245"><subfield code="a">Dua', b'<datafield ind1=" " ind2=" "><subfield code="a">Dua')
    items = list(read_file(write(tmp_path / "notag.xml", data)))
    assert [r.id for r in good(items)] == ["x1", "x3"]
    [reject] = bad(items)
    assert (reject.position, reject.reason) == (2, "a <datafield> element has no 'tag' attribute")


def test_marc_in_json(tmp_path: Path) -> None:
    records = [marc("j1", "Satu").as_dict(), {"leader": "00000nam a2200000 a 4500"}]
    items = list(read_file(write(tmp_path / "a.json", json.dumps(records))))
    assert [r.id for r in good(items)] == ["j1"]
    assert [r.position for r in bad(items)] == [2]


def test_marcmaker(tmp_path: Path) -> None:
    text = "=LDR  00000nam  2200000 a 4500\n=001  mk1\n=245  10$aMengelola perpustakaan\n\n=LDR  short\n=001  mk2\n"
    items = list(read_file(write(tmp_path / "a.mrk", text)))
    assert [r.title for r in good(items)] == ["Mengelola perpustakaan"]
    assert [r.position for r in bad(items)] == [2]


def test_unknown_format_is_one_reject(tmp_path: Path) -> None:
    [reject] = read_file(write(tmp_path / "dump.sql", "INSERT INTO biblio VALUES (1);"))
    assert isinstance(reject, RejectedRecord)
    assert reject.position == 0


def test_csv_columns(tmp_path: Path) -> None:
    row = ('k1,Mengelola perpustakaan,"Sutarno NS; Rahayu, Sri",c2006,Sagung Seto,978-979-1234-56-7 (pbk.),'
           "0126-1234,Perpustakaan; Manajemen,Panduan praktis,025.1 SUT m,Indonesia,skripsi,3,1,Lantai 2,http://x/1")
    [item] = read_file(write(tmp_path / "one.csv", csv_rows(row)))
    assert item == CatalogRecord(
        id="k1",
        title="Mengelola perpustakaan",
        kind=item.kind,
        authors=("Sutarno NS", "Rahayu, Sri"),
        year=2006,
        publisher="Sagung Seto",
        summary="Panduan praktis",
        subjects=("Perpustakaan", "Manajemen"),
        language="id",
        isbn=("9789791234567",),
        issn=("0126-1234",),
        call_number="025.1 SUT m",
        holdings=item.holdings,
        url="http://x/1",
    )
    assert item.kind == "thesis"
    assert [(h.available, h.location, h.call_number) for h in item.holdings] == [
        (True, "Lantai 2", "025.1 SUT m"),
        (False, "Lantai 2", "025.1 SUT m"),
        (False, "Lantai 2", "025.1 SUT m"),
    ]


def test_csv_semicolons_and_missing_columns(tmp_path: Path) -> None:
    text = 'TITLE;Authors;year\n"Buku satu";"A; B";2001\nBuku dua;;\n'
    items = good(list(read_file(write(tmp_path / "semi.csv", text))))
    assert [(r.id, r.title, r.authors, r.year, r.holdings) for r in items] == [
        ("semi.csv#1", "Buku satu", ("A", "B"), 2001, ()),
        ("semi.csv#2", "Buku dua", (), None, ()),
    ]


SLIMS_HEADER = (
    '"title","gmd_name","edition","isbn_issn","publisher_name","publish_year","collation","series_title",'
    '"call_number","language_name","place_name","classification","notes","image","sor","authors","topics","item_code",'
)


def test_slims_data_export_is_read_as_it_comes(tmp_path: Path) -> None:
    # What SLiMS 9's Bibliography > Data Export writes: a trailing separator on the header,
    # lists as <one><two>, no record id.
    row = (
        '"Manajemen perpustakaan","Text","Cet. 2","9789791234567","Sagung Seto","2019","xii, 200 hlm.","",'
        '"025.1 SUT m","Indonesia","Jakarta","025.1","","","Sutarno NS","<Sutarno NS><Rahayu, Sri>",'
        '"<Perpustakaan><Manajemen>","<B0001><B0002>"'
    )
    [item] = read_file(write(tmp_path / "senayan_biblio_export.csv", SLIMS_HEADER + "\n" + row + "\n"))
    assert isinstance(item, CatalogRecord)
    assert (item.id, item.title, item.year, item.publisher) == (
        "senayan_biblio_export.csv#1", "Manajemen perpustakaan", 2019, "Sagung Seto"
    )
    assert (item.authors, item.subjects, item.isbn, item.language) == (
        ("Sutarno NS", "Rahayu, Sri"), ("Perpustakaan", "Manajemen"), ("9789791234567",), "id"
    )
    assert item.edition == "Cet. 2"  # kept, so the patron's reference can judge it (a printing is not cited)
    assert [(h.barcode, h.call_number, h.available) for h in item.holdings] == [
        ("B0001", "025.1 SUT m", True),
        ("B0002", "025.1 SUT m", True),
    ]


def test_bad_csv_rows_are_rejected_with_reasons(tmp_path: Path) -> None:
    text = csv_rows(
        "c1,Baik,,2001,,,,,,,,,,,,",
        "c2,,,2001,,,,,,,,,,,,",
        "c3,Tahun aneh,,kapan-kapan,,,,,,,,,,,,",
        "c4,Salinan aneh,,2001,,,,,,,,,dua,,,",
        "c5,Terlalu banyak,,2001,,,,,,,,,,,,,extra",
        "c6,Baik juga,,2002,,,,,,,,,,,,",
    )
    items = list(read_file(write(tmp_path / "bad.csv", text)))
    assert [r.id for r in good(items)] == ["c1", "c6"]
    assert [(r.position, r.control_number, r.category) for r in bad(items)] == [
        (2, "c2", "the row has no title"),
        (3, "c3", "year is not a year"),
        (4, "c4", "copies is not a whole number"),
        (5, "c5", "too many fields"),
    ]


def test_rejects_describe_where_and_why(tmp_path: Path) -> None:
    reject = RejectedRecord("exports/a.mrc", 7, "malformed directory (entry 2 is not numeric)", "b7")
    assert reject.describe() == "exports/a.mrc #7 [b7]: malformed directory (entry 2 is not numeric)"
    assert reject.category == "malformed directory"
