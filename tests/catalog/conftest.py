"""Helpers that write small catalog files — MARC 21, MARCXML, CSV — good and broken, in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield, record_to_xml

from refbot.catalog.search import CatalogIndex

SHARED_MARC = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "marc"
BOOK_LEADER = "00000nam a2200000 a 4500"


def field(tag: str, *pairs: str, ind: str = "  ") -> Field:
    """A data field from alternating codes and values: field("245", "a", "Title :", "b", "sub")."""
    subfields = [Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subfields)


def control(tag: str, data: str) -> Field:
    """A control field (001-009)."""
    return Field(tag=tag, data=data)


def marc(control_number: str, title: str, *fields: Field, leader: str = BOOK_LEADER) -> Record:
    """A minimal bibliographic record: 001, 245 $a, plus any fields given."""
    record = Record(leader=leader)
    record.add_field(control("001", control_number), field("245", "a", title), *fields)
    return record


def iso(*records: Record) -> bytes:
    """Records in ISO 2709, UTF-8 (pymarc sets leader/09 to "a")."""
    return b"".join(r.as_marc() for r in records)


def raw_iso(fields: Sequence[tuple[str, bytes]], leader: bytes = b"00000nam  2200000 a 4500") -> bytes:
    """One ISO 2709 record built byte by byte, for MARC-8 text and deliberately broken records.

    Data fields are given with their indicators and subfield delimiters, e.g.
    ``("245", b"10\\x1faM\\xe8uller")``; lengths and offsets are computed.
    """
    directory, data = b"", b""
    for tag, value in fields:
        chunk = value + b"\x1e"
        directory += tag.encode() + b"%04d%05d" % (len(chunk), len(data))
        data += chunk
    base = 24 + len(directory) + 1
    total = base + len(data) + 1
    leader = b"%05d" % total + leader[5:12] + b"%05d" % base + leader[17:]
    return leader + directory + b"\x1e" + data + b"\x1d"


def marcxml(*records: Record) -> bytes:
    """Records as a MARCXML collection."""
    body = b"".join(record_to_xml(r, namespace=False) for r in records)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">' + body + b"</collection>"


def write(path: Path, data: bytes | str) -> Path:
    """Write a file and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


CSV_HEADER = "ID,Title,Authors,Year,Publisher,ISBN,ISSN,Subjects,Summary,Call_Number,Language,Kind,Copies,Available,Location,URL\n"


def csv_rows(*rows: str) -> str:
    """A CSV export with the documented header (in mixed case) and the given rows."""
    return CSV_HEADER + "".join(row + "\n" for row in rows)


LIBRARY_ROWS = (
    'k1,Mengelola perpustakaan,"Sutarno NS",2006,Sagung Seto,,,Perpustakaan; Manajemen,,025.1 SUT m,ind,buku,2,1,Lantai 2,',
    'k2,Library management,"Evans, G. Edward",2013,Libraries Unlimited,,,Library administration,,025.1 EVA l,eng,book,1,1,Lantai 2,',
    'k3,Literasi informasi mahasiswa,"Rahma, Aulia",2019,Universitas Diponegoro,,,Literasi informasi,Skripsi tentang literasi,SKR 028.7,id,skripsi,1,1,Ruang skripsi,',
    'k4,Jazz piano history,"Taylor, Billy",1983,Brown,,,Jazz,,ML700,en,book,1,0,Music,',
)


@pytest.fixture
def library_csv(tmp_path: Path) -> Path:
    """A four-record catalog in CSV: Indonesian and English titles."""
    return write(tmp_path / "exports" / "library.csv", csv_rows(*LIBRARY_ROWS))


@pytest.fixture
def open_index() -> Iterator[list[CatalogIndex]]:
    """Collects CatalogIndex objects a test opens, and closes them afterwards."""
    opened: list[CatalogIndex] = []
    yield opened
    for index in opened:
        index.close()
