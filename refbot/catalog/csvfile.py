"""Catalog records from CSV: the export for systems without MARC (SLiMS reports, spreadsheets).

The columns, in any order, header names case-insensitive (spaces and hyphens count as "_"):

=============  ==========================================================================
id             the control number; when empty, "<file>#<row>"
title          required; a row without one is rejected
authors        names separated by ";"
year           a year anywhere in the cell ("c2019", "2019-2020")
publisher      as written
edition        as written ("Cet. 2", "Ed. ke-2", "2nd ed."); a first edition or a printing is not cited
isbn, issn     one or more, separated by ";" "," or spaces
subjects       separated by ";"
summary        the abstract or blurb
call_number    the shelf mark
language       "id"/"ind"/"Indonesia", "en"/"eng"/"English"/"Inggris", or a MARC code
kind           book, ebook, thesis, article, journal, chapter, proceedings, other — or the
               Indonesian names (buku, skripsi, tesis, disertasi, jurnal, artikel, prosiding)
copies         how many copies the library holds (default: 1 when a location or call
               number is given, else none)
available      how many of them are on the shelf now (default: all)
location       where the copies are shelved
barcodes       the copies' barcodes (item codes), separated by ";"; each is one copy, so
               copies defaults to how many there are
url            a link to the full text or the record
=============  ==========================================================================

Other columns are ignored. SLiMS's own CSV (Bibliography › Data Export, with "Put columns
names in the first row" ticked) is read as it comes: its ``publish_year``,
``publisher_name``, ``isbn_issn``, ``edition``, ``language_name``, ``topics`` and ``item_code`` columns
stand for year, publisher, isbn, language, subjects and barcodes, and its lists written as
``<one><two>`` are split like ``one; two``. SLiMS leaves out the record's id, so rows get
"<file>#<row>" ids: rebuild rather than update from such a file.

The delimiter is whichever of ``,`` ``;`` tab or ``|`` the header line uses; lines may end in
CR LF, LF or a bare CR (classic Mac). Text is UTF-8
(a byte-order mark is allowed); undecodable bytes are replaced rather than rejected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from refbot.catalog.marc import clean_isbn, clean_issn
from refbot.catalog.record import CatalogRecord, RejectedRecord
from refbot.errors import RecordError
from refbot.models import Holding, Kind

COLUMNS = (
    "id", "title", "authors", "year", "publisher", "edition", "isbn", "issn", "subjects", "summary",
    "call_number", "language", "kind", "copies", "available", "location", "barcodes", "url",
)  # fmt: skip
SLIMS_COLUMNS = {
    "publish_year": "year", "publisher_name": "publisher", "isbn_issn": "isbn",
    "language_name": "language", "topics": "subjects", "item_code": "barcodes",
}  # fmt: skip
"""SLiMS's Data Export column names and the documented columns they stand for."""
_DELIMITERS = ",;\t|"
_ANGLED = re.compile(r"<[^<>]*>(?:<[^<>]*>)*")
_YEAR = re.compile(r"(?<!\d)(1[4-9]\d\d|20\d\d)(?!\d)")
_KINDS = {kind.value: kind for kind in Kind} | {
    "buku": Kind.BOOK,
    "e-book": Kind.EBOOK,
    "buku elektronik": Kind.EBOOK,
    "skripsi": Kind.THESIS,
    "tesis": Kind.THESIS,
    "disertasi": Kind.THESIS,
    "tugas akhir": Kind.THESIS,
    "dissertation": Kind.THESIS,
    "jurnal": Kind.JOURNAL,
    "majalah": Kind.JOURNAL,
    "serial": Kind.JOURNAL,
    "artikel": Kind.ARTICLE,
    "bab": Kind.CHAPTER,
    "prosiding": Kind.PROCEEDINGS,
    "lainnya": Kind.OTHER,
}
_LANGUAGES = {
    "id": "id", "ind": "id", "indonesia": "id", "indonesian": "id", "bahasa indonesia": "id",
    "en": "en", "eng": "en", "english": "en", "inggris": "en", "bahasa inggris": "en",
}  # fmt: skip


def is_csv_header(head: bytes) -> bool:
    """Whether the first line of a file is a header naming the documented columns."""
    # Any line ending counts: "\r" alone (classic Mac) too.
    line = re.split(rb"\r\n|\r|\n", head, maxsplit=1)[0].decode("utf-8", "replace")
    names = set(_header(line))
    return "title" in names and len(names & set(COLUMNS)) >= 2


def read_csv(stream: BinaryIO, name: str) -> Iterator[CatalogRecord | RejectedRecord]:
    """Every row of a CSV export as a record or a reject; position is the row number."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    try:
        line = text.readline()
        delimiter = _delimiter(line)
        yield from _rows(csv.reader(text, delimiter=delimiter), _header(line), name)
    finally:
        text.detach()  # the caller owns the binary stream


def _rows(
    rows: Iterator[list[str]], columns: list[str], name: str
) -> Iterator[CatalogRecord | RejectedRecord]:
    position = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            position += 1
            yield RejectedRecord(name, position, f"not valid CSV: {error}")
            continue
        if any(cell.strip() for cell in row):
            position += 1
            yield _row_item(row, columns, name, position)


def _row_item(
    row: list[str], columns: list[str], name: str, position: int
) -> CatalogRecord | RejectedRecord:
    values = dict(zip(columns, (cell.strip() for cell in row), strict=False))
    if len(row) > len(columns):
        reason = f"too many fields ({len(row)}; the header has {len(columns)})"
        return RejectedRecord(name, position, reason, values.get("id", ""))
    try:
        return row_to_record(values, fallback_id=f"{Path(name).name}#{position}")
    except RecordError as error:
        return RejectedRecord(name, position, error.reason, values.get("id", ""))


def row_to_record(values: dict[str, str], fallback_id: str) -> CatalogRecord:
    """One CSV row (column name → cell) as a catalog record.

    Raises:
        RecordError: the row has no title, or a year or count that is not a number.
    """
    get = values.get
    if not get("title"):
        raise RecordError("the row has no title")
    return CatalogRecord(
        id=get("id") or fallback_id,
        title=get("title", ""),
        kind=_KINDS.get(get("kind", "").lower(), Kind.BOOK if not get("kind") else Kind.OTHER),
        authors=_split(get("authors", ""), ";"),
        year=_year(get("year", "")),
        publisher=get("publisher", ""),
        edition=get("edition", ""),
        summary=get("summary", ""),
        subjects=_split(get("subjects", ""), ";"),
        language=_LANGUAGES.get(get("language", "").lower(), get("language", "").lower()),
        isbn=tuple(i for i in map(clean_isbn, re.split(r"[;,\s]+", get("isbn", ""))) if i),
        issn=tuple(i for i in map(clean_issn, re.split(r"[;,\s]+", get("issn", ""))) if i),
        call_number=get("call_number", ""),
        holdings=_holdings(values),
        url=get("url", ""),
    )


def _holdings(values: dict[str, str]) -> tuple[Holding, ...]:
    location, call_number = values.get("location", ""), values.get("call_number", "")
    barcodes = _split(values.get("barcodes", ""), ";")
    default = str(len(barcodes)) if barcodes else "1" if location or call_number else "0"
    copies = _count(values, "copies", default)
    available = min(copies, _count(values, "available", str(copies)))
    return tuple(
        Holding(
            location=location,
            call_number=call_number,
            barcode=barcodes[i] if i < len(barcodes) else "",
            available=i < available,
            status="" if i < available else "on loan",
        )
        for i in range(copies)
    )


def _count(values: dict[str, str], column: str, default: str) -> int:
    cell = values.get(column) or default
    if not cell.isdigit():
        raise RecordError(f"{column} is not a whole number: {cell!r}")
    return int(cell)


def _year(cell: str) -> int | None:
    if not cell:
        return None
    match = _YEAR.search(cell)
    if match is None:
        raise RecordError(f"year is not a year: {cell!r}")
    return int(match.group(1))


def _split(cell: str, separator: str) -> tuple[str, ...]:
    if _ANGLED.fullmatch(cell):  # SLiMS writes lists as <one><two>
        return tuple(part.strip() for part in cell[1:-1].split("><") if part.strip())
    return tuple(part.strip() for part in cell.split(separator) if part.strip())


def _header(line: str) -> list[str]:
    try:
        cells = next(csv.reader([line.strip("\r\n")], delimiter=_delimiter(line)), [])
    except csv.Error:  # a line break inside the line, a stray quote …: not a header
        return []
    names = [re.sub(r"[\s\-]+", "_", cell.strip().lower()) for cell in cells]
    return [SLIMS_COLUMNS.get(name, name) for name in names]


def _delimiter(line: str) -> str:
    return max(_DELIMITERS, key=line.count)
