"""Reading catalog exports: MARC 21, MARCXML, MARC-in-JSON, MARCMaker and CSV.

The format is told from the content, never the file name: a leader's digits mean ISO 2709,
``<`` means MARCXML, ``{`` or ``[`` MARC-in-JSON, ``=LDR`` MARCMaker text, and a header line
naming the documented CSV columns means CSV (see :mod:`refbot.catalog.csvfile`).

Every reader yields :class:`CatalogRecord` for each good record and :class:`RejectedRecord`
for each bad one, and carries on: a bad record never stops the file, and a file that cannot
be read at all becomes one reject with position 0.
"""

from __future__ import annotations

import enum
import json
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax import SAXException, SAXParseException, make_parser
from xml.sax.handler import feature_namespaces
from xml.sax.xmlreader import AttributesNSImpl

from pymarc import Leader, MARCMakerReader, PymarcException, Record
from pymarc.marcxml import XmlHandler
from pymarc.reader import JSONReader

from refbot.catalog import csvfile, iso2709
from refbot.catalog.marc import control_number, marc_to_record
from refbot.catalog.record import CatalogRecord, RejectedRecord
from refbot.errors import RecordError

Item = CatalogRecord | RejectedRecord
_HEAD = 4096
_BOM = b"\xef\xbb\xbf"


class Format(enum.StrEnum):
    """The export formats the catalog reads."""

    ISO2709 = "MARC 21 (ISO 2709)"
    MARCXML = "MARCXML"
    MARCJSON = "MARC-in-JSON"
    MARCMAKER = "MARCMaker text"
    CSV = "CSV"
    UNKNOWN = "unknown"


def detect_format(head: bytes) -> Format:
    """Tell a file's format from its first few kilobytes."""
    text = head.removeprefix(_BOM).lstrip()
    if text[:5].isdigit():
        return Format.ISO2709
    if text.startswith(b"<"):
        return Format.MARCXML
    if text[:1] in (b"{", b"["):
        return Format.MARCJSON
    if text.startswith(b"=LDR"):
        return Format.MARCMAKER
    if csvfile.is_csv_header(text):
        return Format.CSV
    return Format.UNKNOWN


def read_file(path: Path | str) -> Iterator[Item]:
    """Every record in one file, good or rejected."""
    with open(path, "rb") as stream:
        yield from read_stream(stream, str(path))


def read_stream(stream: BinaryIO, name: str) -> Iterator[Item]:
    """Every record in an open binary stream; ``name`` is what rejects call the file."""
    head = stream.read(_HEAD)
    stream.seek(0)
    fmt = detect_format(head)
    if fmt is Format.UNKNOWN:
        reason = "not MARC 21, MARCXML, MARC-in-JSON, MARCMaker or CSV with a known header"
        yield RejectedRecord(name, 0, reason)
        return
    yield from _READERS[fmt](stream, name)


def _read_iso2709(stream: BinaryIO, name: str) -> Iterator[Item]:
    position = 0
    for piece, terminated in iso2709.pieces(stream):
        for outcome in iso2709.records_in(piece, terminated):
            position += 1
            yield _item(outcome, name, position)


def _read_marcxml(stream: BinaryIO, name: str) -> Iterator[Item]:
    handler = _TolerantXmlHandler()
    parser = make_parser()
    parser.setFeature(feature_namespaces, 1)
    parser.setContentHandler(handler)
    try:
        for block in iter(lambda: stream.read(1 << 16), b""):
            parser.feed(block)  # type: ignore[attr-defined]
            yield from _drain(handler, name)
        parser.close()  # type: ignore[attr-defined]
    except SAXException as error:
        yield from _drain(handler, name)
        yield RejectedRecord(name, handler.position if handler.in_record else 0, _xml_reason(error))
        return
    yield from _drain(handler, name)


def _drain(handler: _TolerantXmlHandler, name: str) -> Iterator[Item]:
    while handler.outcomes:
        position, outcome = handler.outcomes.popleft()
        yield _item(outcome, name, position)


def _xml_reason(error: SAXException) -> str:
    if isinstance(error, SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        return f"XML is not well-formed ({where}: {error.getMessage()}); the rest of the file was skipped"
    return f"XML could not be read ({error.getMessage()}); the rest of the file was skipped"


class _TolerantXmlHandler(XmlHandler):
    """pymarc's MARCXML handler, but a broken element spoils only its own record."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: deque[tuple[int, Record | RecordError]] = deque()
        self.position = 0
        self.in_record = False
        self._problem = ""

    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: AttributesNSImpl) -> None:
        if name[1] == "record":
            self.position += 1
            self.in_record = True
            self._problem = ""
        self._guard(super().startElementNS, name, qname, attrs)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        if name[1] == "leader" and self._record is not None:
            # A leader of the wrong length is still worth its type and coding positions.
            self._record.leader = Leader("".join(self._text).ljust(24)[:24])
            self._text = []
            return
        if name[1] == "record":
            self.in_record = False
            if self._problem:
                self.outcomes.append((self.position, RecordError(self._problem)))
                self._record = None
                return
        self._guard(super().endElementNS, name, qname)

    def process_record(self, record: Record) -> None:
        self.outcomes.append((self.position, record))

    def _guard(self, handle: Callable[..., None], *args: Any) -> None:
        try:
            handle(*args)
        except (KeyError, ValueError, TypeError) as error:
            self._problem = self._problem or _element_problem(args[0][1], error)
            self._field = None


def _element_problem(element: str, error: Exception) -> str:
    key = error.args[0] if error.args else ""
    if isinstance(error, KeyError) and isinstance(key, tuple):
        return f"a <{element}> element has no '{key[-1]}' attribute"
    return f"a <{element}> element is malformed ({error})"


def _read_marcjson(stream: BinaryIO, name: str) -> Iterator[Item]:
    text = stream.read().decode("utf-8-sig", "replace")
    try:
        reader = JSONReader(text)
    except json.JSONDecodeError as error:
        yield RejectedRecord(name, 0, f"not valid JSON: {error}")
        return
    records = iter(reader)
    position = 0
    while True:
        position += 1
        try:
            outcome: Record | RecordError = next(records)
        except StopIteration:
            return
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            outcome = RecordError(f"not a MARC-in-JSON record ({type(error).__name__}: {error})")
        yield _item(outcome, name, position)


def _read_marcmaker(stream: BinaryIO, name: str) -> Iterator[Item]:
    text = stream.read().decode("utf-8", "replace").replace("\r\n", "\n")
    blocks = [b for b in text.split("\n\n") if b.strip()]
    for position, block in enumerate(blocks, start=1):
        try:
            outcome: Record | RecordError = next(iter(MARCMakerReader(block.strip("\n"))))
        except (PymarcException, ValueError, IndexError, KeyError) as error:
            outcome = RecordError(f"not a MARCMaker record: {error}")
        yield _item(outcome, name, position)


def _item(outcome: Record | RecordError, name: str, position: int) -> Item:
    if isinstance(outcome, RecordError):
        return RejectedRecord(name, position, outcome.reason, outcome.control_number)
    try:
        return marc_to_record(outcome, fallback_id=f"{Path(name).name}#{position}")
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        cn = control_number(outcome)
        return RejectedRecord(name, position, f"could not be mapped: {error!r}", cn)


_READERS: dict[Format, Callable[[BinaryIO, str], Iterator[Item]]] = {
    Format.ISO2709: _read_iso2709,
    Format.MARCXML: _read_marcxml,
    Format.MARCJSON: _read_marcjson,
    Format.MARCMAKER: _read_marcmaker,
    Format.CSV: csvfile.read_csv,
}
