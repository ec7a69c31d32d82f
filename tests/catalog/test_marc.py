"""MARC 21 → CatalogRecord → Candidate, field by field, including Koha 952 availability."""

from __future__ import annotations

import pytest
from pymarc import Record

from refbot.catalog.marc import clean, marc_to_record
from refbot.catalog.record import CatalogRecord
from refbot.models import Holding, Kind
from tests.catalog.conftest import control, field, marc

FIXED_008 = "190312s2019    io a          000 0 ind d"


def koha_book() -> Record:
    record = Record(leader="00000nam a2200000 a 4500")
    record.add_field(
        control("001", "UNDIP-000123"),
        control("008", FIXED_008),
        field("020", "a", "978-602-8397-21-5 (pbk.)"),
        field("020", "a", "not an isbn"),
        field("022", "a", "0126 123x"),
        field("035", "a", "(OCoLC)99999"),
        field("041", "a", "ind", "a", "eng"),
        field("082", "a", "025.1/7", ind="04"),
        field("084", "a", "X 025 ABC"),
        field("100", "a", "Sulistyo-Basuki,", "e", "pengarang.", ind="0 "),
        field("110", "a", "Universitas Diponegoro.", "b", "Fakultas Ilmu Budaya.", ind="2 "),
        field("245", "a", "Manajemen perpustakaan :", "b", "teori dan praktik /", "n", "Jilid 2.", "p", "Layanan,", "c", "Sulistyo-Basuki.", ind="10"),
        field("250", "a", "Edisi ke-2."),
        field("260", "a", "Jakarta :", "b", "Penerbit Lama,", "c", "1999."),
        field("264", "a", "Semarang :", "b", "Undip Press,", "c", "[2019]", ind=" 1"),
        field("264", "c", "©2018", ind=" 4"),
        field("300", "a", "xii, 250 halaman :", "b", "ilustrasi ;", "c", "24 cm."),
        field("490", "a", "Seri ilmu perpustakaan ;", "v", "3", ind="1 "),
        field("500", "a", "Indeks."),
        field("500", "a", "Bibliografi: halaman 240-248."),
        field("505", "a", "Bagian 1. Dasar -- Bagian 2. Layanan."),
        field("520", "a", "Membahas pengelolaan perpustakaan perguruan tinggi."),
        field("650", "a", "Perpustakaan", "x", "Manajemen", "z", "Indonesia.", ind=" 4"),
        field("650", "a", "perpustakaan", "x", "manajemen", "z", "indonesia", ind=" 4"),
        field("600", "a", "Ranganathan, S. R.", "d", "1892-1972.", ind="10"),
        field("653", "a", "tata kelola", "a", "layanan"),
        field("700", "a", "Rahayu, Sri,", "e", "editor.", ind="1 "),
        field("710", "a", "Perpustakaan Nasional.", ind="2 "),
        field("856", "u", "https://eprints.undip.ac.id/123", ind="40"),
        field("952", "a", "PUSAT", "b", "FIB", "c", "REF", "o", "025.1 SUL m", "p", "B0001", "7", "1"),
        field("952", "a", "PUSAT", "b", "PUSAT", "c", "UMUM", "o", "025.1 SUL m c.2", "p", "B0002", "q", "2026-12-01"),
        field("952", "a", "PUSAT", "o", "025.1 SUL m c.3", "p", "B0003", "1", "1"),
        field("952", "a", "PUSAT", "p", "B0004", "4", "1"),
        field("952", "a", "PUSAT", "p", "B0005", "7", "-1"),
        field("952", "a", "PUSAT", "p", "B0006", "0", "1"),
        field("952", "a", "PUSAT", "p", "B0007", "7", "0", "1", "0"),
    )
    return record


def test_koha_record_field_by_field() -> None:
    record = marc_to_record(koha_book(), fallback_id="unused")
    assert record == CatalogRecord(
        id="UNDIP-000123",
        title="Manajemen perpustakaan: teori dan praktik. Jilid 2. Layanan",
        kind=Kind.BOOK,
        authors=("Sulistyo-Basuki", "Universitas Diponegoro. Fakultas Ilmu Budaya", "Perpustakaan Nasional"),
        editors=("Rahayu, Sri",),
        year=2019,
        publisher="Undip Press",
        edition="Edisi ke-2",
        physical="xii, 250 halaman : ilustrasi ; 24 cm",
        series=("Seri ilmu perpustakaan ; 3",),
        notes=("Indeks", "Bibliografi: halaman 240-248"),
        summary="Membahas pengelolaan perpustakaan perguruan tinggi",
        contents="Bagian 1. Dasar -- Bagian 2. Layanan",
        subjects=("Ranganathan, S. R. 1892-1972", "Perpustakaan -- Manajemen -- Indonesia", "tata kelola", "layanan"),
        language="id",
        isbn=("9786028397215",),
        issn=("0126-123X",),
        call_number="025.17",
        holdings=record.holdings,
        url="https://eprints.undip.ac.id/123",
    )


def test_koha_952_availability() -> None:
    holdings = marc_to_record(koha_book(), fallback_id="unused").holdings
    assert holdings == (
        Holding(location="FIB, REF", call_number="025.1 SUL m", barcode="B0001", available=True, status="in-library use only"),
        Holding(location="PUSAT, UMUM", call_number="025.1 SUL m c.2", barcode="B0002", available=False, status="on loan, due 2026-12-01"),
        Holding(location="PUSAT", call_number="025.1 SUL m c.3", barcode="B0003", available=False, status="lost"),
        Holding(location="PUSAT", barcode="B0004", available=False, status="damaged"),
        Holding(location="PUSAT", barcode="B0005", available=False, status="on order"),
        Holding(location="PUSAT", barcode="B0006", available=False, status="withdrawn"),
        Holding(location="PUSAT", barcode="B0007", available=True, status=""),
    )


def test_candidate_from_record() -> None:
    candidate = marc_to_record(koha_book(), fallback_id="unused").to_candidate(score=3.5, rank=2)
    assert (candidate.source, candidate.source_id, candidate.kind) == ("catalog", "UNDIP-000123", Kind.BOOK)
    assert (candidate.copies, candidate.available) == (7, 2)
    assert candidate.abstract == "Membahas pengelolaan perpustakaan perguruan tinggi"
    assert (candidate.source_score, candidate.source_rank) == (3.5, 2)
    assert candidate.call_number == "025.17"


def test_record_survives_its_json_blob() -> None:
    record = marc_to_record(koha_book(), fallback_id="unused")
    assert CatalogRecord.from_json(record.to_json()) == record


def test_852_holdings_when_there_is_no_952() -> None:
    record = marc("b1", "Buku", field("852", "b", "Perpustakaan Pusat", "c", "Lantai 3", "h", "020", "i", "SUL p", "p", "X1"))
    mapped = marc_to_record(record, fallback_id="x")
    assert mapped.holdings == (Holding(location="Perpustakaan Pusat, Lantai 3", call_number="020 SUL p", barcode="X1"),)
    assert mapped.call_number == "020 SUL p"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([field("090", "a", "025.1", "b", "SUL m"), field("082", "a", "020")], "025.1 SUL m"),
        ([field("084", "a", "X 025"), field("050", "a", "Z665", "b", ".S85")], "X 025"),
        ([field("050", "a", "Z665", "b", ".S85")], "Z665 .S85"),
        ([field("952", "o", "SKR 028.7")], "SKR 028.7"),
        ([], ""),
    ],
)
def test_call_number_priority(fields: list, expected: str) -> None:
    assert marc_to_record(marc("b1", "Buku", *fields), fallback_id="x").call_number == expected


@pytest.mark.parametrize(
    ("leader", "extra", "kind"),
    [
        ("00000nam a2200000 a 4500", [], Kind.BOOK),
        ("00000nas a2200000 a 4500", [], Kind.JOURNAL),
        ("00000nab a2200000 a 4500", [], Kind.ARTICLE),
        ("00000naa a2200000 a 4500", [], Kind.CHAPTER),
        ("00000ntm a2200000 a 4500", [field("502", "a", "Skripsi (S1)--Universitas Diponegoro, 2019.")], Kind.THESIS),
        ("00000nam a2200000 a 4500", [field("502", "a", "Tesis")], Kind.THESIS),
        ("00000nam a2200000 a 4500", [field("111", "a", "Seminar Nasional Perpustakaan")], Kind.PROCEEDINGS),
        ("00000nam a2200000 a 4500", [control("007", "cr |||||||||||")], Kind.EBOOK),
        ("00000njm a2200000 a 4500", [], Kind.OTHER),
        ("00000ngm a2200000 a 4500", [], Kind.OTHER),
    ],
)
def test_kind_from_leader_and_502(leader: str, extra: list, kind: Kind) -> None:
    assert marc_to_record(marc("b1", "Judul", *extra, leader=leader), fallback_id="x").kind is kind


@pytest.mark.parametrize(
    ("fields", "language"),
    [
        ([control("008", FIXED_008)], "id"),
        ([control("008", FIXED_008.replace("ind", "eng"))], "en"),
        ([control("008", FIXED_008.replace("ind", "fre"))], "fre"),
        ([control("008", FIXED_008), field("041", "a", "engind")], "en"),
        ([control("008", FIXED_008.replace("ind", "   "))], ""),
        ([control("008", "short")], ""),
        ([field("041", "a", "id")], "id"),  # SLiMS's MARC export
        ([field("041", "a", "EN")], "en"),
    ],
)
def test_language(fields: list, language: str) -> None:
    assert marc_to_record(marc("b1", "Judul", *fields), fallback_id="x").language == language


@pytest.mark.parametrize(
    ("fields", "year"),
    [
        ([field("260", "c", "c1998.")], 1998),
        ([field("264", "c", "[2021]", ind=" 1"), field("260", "c", "1990")], 2021),
        ([field("260", "c", "[19--]"), control("008", FIXED_008)], 2019),
        ([control("008", "190312s9999    io a          000 0 ind d")], None),
        ([field("260", "c", "s.a.")], None),
    ],
)
def test_year(fields: list, year: int | None) -> None:
    assert marc_to_record(marc("b1", "Judul", *fields), fallback_id="x").year == year


def test_control_number_falls_back_to_035_then_position() -> None:
    record = marc("x", "Judul", field("035", "a", "(OCoLC)123"))
    record.remove_fields("001")
    assert marc_to_record(record, fallback_id="f.mrc#3").id == "(OCoLC)123"
    record.remove_fields("035")
    assert marc_to_record(record, fallback_id="f.mrc#3").id == "f.mrc#3"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("Pengantar ilmu perpustakaan /", "Pengantar ilmu perpustakaan"),
        ("Judul :", "Judul"),
        ("Judul ;", "Judul"),
        ("Judul.", "Judul"),
        ("Washington, D.C.", "Washington, D.C."),
        ("  spasi   ganda  ", "spasi ganda"),
    ],
)
def test_isbd_punctuation(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned
