"""Reading catalog exports: MARC 21, MARCXML, MARC-in-JSON, MARCMaker and CSV.

The format is told from the content, never the file name: a leader's digits mean ISO 2709,
``<`` means MARCXML, ``{`` or ``[`` MARC-in-JSON (one document, or one record a line as
traject and MARC::File::MiJ write it), ``=LDR`` MARCMaker text (see :mod:`refbot.catalog.marcmaker`), and a header line naming the
documented CSV columns means CSV (see :mod:`refbot.catalog.csvfile`). NUL bytes before the
content (filler some systems write) are skipped, and noted as a repair. UNIMARC records in
ISO 2709 are mapped by :mod:`refbot.catalog.unimarc`.

Every reader yields :class:`CatalogRecord` for each good record and :class:`RejectedRecord`
for each bad one, and carries on: a bad record never stops the file, and a file that cannot
be read at all — or whose reading fails part way for a reason no reader foresaw — becomes
one reject with position 0 (after whatever it yielded before). What a reader put right to
read a record (a wrong character coding, leading NULs) is added to the ``repairs`` list the
caller passes, as :class:`Repair`.

MARCXML is read a record at a time: the bytes from each ``<record>`` start tag to the next
are parsed on their own (inside the document's root element, for its namespaces), so a
record that is not well-formed is rejected with its line and column and the records after
it are still read. What lies between the records is checked as a document of its own, so
junk after the root element is reported too.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree
from xml.parsers import expat

from pymarc import Field, Indicators, Leader, MARCMakerReader, PymarcException, Record, Subfield
from pymarc.reader import JSONReader

from refbot.catalog import csvfile, iso2709, marcmaker
from refbot.catalog.marc import control_number, marc_to_record
from refbot.catalog.record import CatalogRecord, RejectedRecord, Repair
from refbot.catalog.unimarc import is_unimarc, unimarc_to_record
from refbot.errors import RecordError

Item = CatalogRecord | RejectedRecord
Reader = Callable[[BinaryIO, str, list[Repair]], Iterator[Item]]
_HEAD = 4096
_BOM = b"\xef\xbb\xbf"
_FILLER = b"\x00"
LEADING_NULS = "NUL bytes before the content skipped"
UNKNOWN_REASON = "not MARC 21, MARCXML, MARC-in-JSON, MARCMaker or CSV with a known header"
_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
}


class Format(enum.StrEnum):
    """The export formats the catalog reads."""

    ISO2709 = "MARC 21 (ISO 2709)"
    MARCXML = "MARCXML"
    MARCJSON = "MARC-in-JSON"
    MARCMAKER = "MARCMaker text"
    CSV = "CSV"
    UNKNOWN = "unknown"


def detect_format(head: bytes) -> Format:
    """Tell a file's format from its first few kilobytes (never raises)."""
    text = head.removeprefix(_BOM).lstrip(_FILLER).lstrip()
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


def read_file(path: Path | str, repairs: list[Repair] | None = None) -> Iterator[Item]:
    """Every record in one file, good or rejected; repairs are added to ``repairs``."""
    with open(path, "rb") as stream:
        yield from read_stream(stream, str(path), repairs)


def read_stream(stream: BinaryIO, name: str, repairs: list[Repair] | None = None) -> Iterator[Item]:
    """Every record in an open binary stream; ``name`` is what rejects call the file.

    Args:
        stream: the file, at its start.
        name: the file's name in rejects and repairs.
        repairs: when given, what was put right to read the file's records is added to it.
    """
    repairs = [] if repairs is None else repairs
    head = stream.read(_HEAD)
    stream.seek(0)
    fmt = detect_format(head)
    if fmt is Format.UNKNOWN:
        kind = next((kind for magic, kind in _COMPRESSED.items() if head.startswith(magic)), None)
        reason = f"a {kind}-compressed file: unpack it and build from what it holds" if kind else UNKNOWN_REASON
        yield RejectedRecord(name, 0, reason)
        return
    filler = len(head) - len(head.lstrip(_FILLER))
    if filler:
        stream.seek(filler)
        repairs.append(Repair(name, 0, LEADING_NULS))
    read = 0
    try:
        for item in _READERS[fmt](stream, name, repairs):
            read += 1
            yield item
    except Exception as error:  # one file's unforeseen failure must cost only that file
        reason = f"the file could not be read further ({type(error).__name__}: {error}); {read} record(s) before were read"
        yield RejectedRecord(name, 0, reason)


def _read_iso2709(stream: BinaryIO, name: str, repairs: list[Repair]) -> Iterator[Item]:
    position = 0
    notes: list[str] = []
    for piece, terminated in iso2709.pieces(stream):
        for outcome in iso2709.records_in(piece, terminated, notes):
            position += 1
            item = _item(outcome, name, position)
            if notes:
                cn = control_number(outcome) if isinstance(outcome, Record) else ""
                repairs.extend(Repair(name, position, note, cn) for note in notes)
                notes.clear()
            yield item


_XML_BLOCK = 1 << 16
_RECORD_START = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?record(?=[\s/>])")
_RECORD_END = re.compile(rb"</(?:[A-Za-z_][\w.\-]*:)?record\s*>")
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)(\s[^<>]*)?>")
_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_PROLOG_KEPT = 1 << 16


def _read_marcxml(stream: BinaryIO, name: str, repairs: list[Repair]) -> Iterator[Item]:
    skeleton = _Skeleton()
    prolog = b""
    wrapper: _Wrapper | None = None
    position = 0
    last_broken = False
    for is_record, data, line in _xml_parts(stream):
        if not is_record:
            skeleton.feed(data)
            if wrapper is None and len(prolog) < _PROLOG_KEPT:
                prolog += data
            continue
        if wrapper is None:
            wrapper = _Wrapper(prolog)
        skeleton.feed(b"<r/>" + b"\n" * data.count(b"\n"))
        position += 1
        outcome = _xml_record(data, wrapper, line)
        last_broken = isinstance(outcome, RecordError) and outcome.reason.startswith("XML")
        yield _item(outcome, name, position)
    problem = skeleton.close(forgive_end=last_broken)
    if problem:
        yield RejectedRecord(name, 0, f"{problem} outside the records")
    elif position == 0:
        yield RejectedRecord(name, 0, "XML without MARC records (no <record> element)")


def _xml_parts(stream: BinaryIO) -> Iterator[tuple[bool, bytes, int]]:
    """The file in order as (is a record, its bytes, its first line).

    A record runs from its ``<record>`` start tag to the last ``</record>`` before the next
    start tag (or to the next start tag, when its end tag is missing); the rest is between.
    """
    buffer, pos, line, eof = b"", 0, 1, False
    while True:
        first = _RECORD_START.search(buffer, pos)
        following = _RECORD_START.search(buffer, first.end()) if first else None
        if following is None and not eof:
            if first is None and len(buffer) - pos > _XML_BLOCK:  # no record yet: pass the text on
                keep = len(buffer) - 64
                yield False, buffer[pos:keep], line
                line += buffer.count(b"\n", pos, keep)
                pos = keep
            block = stream.read(_XML_BLOCK)
            if block:
                buffer, pos = buffer[pos:] + block, 0
            else:
                eof = True
            continue
        if first is None:
            if pos < len(buffer):
                yield False, buffer[pos:], line
            return
        if first.start() > pos:
            yield False, buffer[pos : first.start()], line
            line += buffer.count(b"\n", pos, first.start())
        stop = following.start() if following else len(buffer)
        ends = [m.end() for m in _RECORD_END.finditer(buffer, first.start(), stop)]
        cut = ends[-1] if ends else stop
        yield True, buffer[first.start() : cut], line
        line += buffer.count(b"\n", first.start(), cut)
        pos = cut


class _Wrapper:
    """What a record's bytes are parsed inside: the XML declaration's encoding and the root element."""

    def __init__(self, prolog: bytes) -> None:
        encoding = _ENCODING.search(prolog)
        declaration = b'<?xml version="1.0" encoding="%s"?>' % encoding.group(1) if encoding else b""
        root = next((m for m in _FIRST_TAG.finditer(prolog) if not m.group(0).endswith(b"/>")), None)
        tag = root.group(0).replace(b"\n", b" ").replace(b"\r", b" ") if root else b""
        self.head = declaration + tag
        self.tail = b"</" + root.group(1) + b">" if root else b""


def _xml_record(data: bytes, wrapper: _Wrapper, line: int) -> Record | RecordError:
    try:
        root = ElementTree.fromstring(wrapper.head + data + wrapper.tail)
    except ElementTree.ParseError as error:
        row, column = error.position
        column = column - len(wrapper.head) if row == 1 else column
        message = expat.ErrorString(error.code) if isinstance(error.code, int) else str(error)
        return RecordError(f"XML is not well-formed (line {line + row - 1}, column {column + 1}: {message}); the record was skipped")
    element = root if not wrapper.tail else next(iter(root), None)
    if element is None:
        return RecordError("an empty <record> element")
    return _element_record(element)


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _element_record(element: ElementTree.Element) -> Record | RecordError:
    """A MARCXML <record> element as a pymarc record; elements of any namespace count."""
    record = Record()
    for child in element:
        kind = _local(child.tag)
        if kind == "leader":
            # A leader of the wrong length is still worth its type and coding positions.
            record.leader = Leader("".join(child.itertext()).ljust(24)[:24])
            continue
        if kind not in ("controlfield", "datafield"):
            continue
        tag = child.get("tag")
        if tag is None:
            return RecordError(f"a <{kind}> element has no 'tag' attribute")
        try:
            if kind == "controlfield":
                record.add_field(Field(tag=tag, data="".join(child.itertext())))
                continue
            subfields = []
            for sub in child:
                if _local(sub.tag) != "subfield":
                    continue
                code = sub.get("code")
                if code is None:
                    return RecordError("a <subfield> element has no 'code' attribute")
                subfields.append(Subfield(code=code, value="".join(sub.itertext())))
            indicators = Indicators(child.get("ind1", " "), child.get("ind2", " "))
            record.add_field(Field(tag=tag, indicators=indicators, subfields=subfields))
        except (KeyError, ValueError, TypeError) as error:
            return RecordError(f"a <{kind}> element is malformed ({error})")
    return record


class _Skeleton:
    """Checks the document with every record replaced by an empty element: junk after the root, a broken prolog."""

    def __init__(self) -> None:
        self._parser = expat.ParserCreate()
        self._problem = ""

    def feed(self, data: bytes) -> None:
        if not self._problem:
            try:
                self._parser.Parse(data, False)
            except expat.ExpatError as error:
                self._problem = _expat_problem(error)

    def close(self, forgive_end: bool) -> str:
        """The first problem found, or ""; ``forgive_end``: a root left open by a broken last record is not one."""
        if not self._problem:
            try:
                self._parser.Parse(b"", True)
            except expat.ExpatError as error:
                if not forgive_end:
                    self._problem = _expat_problem(error)
        return self._problem


def _expat_problem(error: expat.ExpatError) -> str:
    return f"XML is not well-formed (line {error.lineno}, column {error.offset + 1}: {expat.ErrorString(error.code)})"


_NEXT_JSON_LINE = re.compile(r"^[\[{]", re.MULTILINE)
_JSON_SPACE = re.compile(r"[\s\x00]*")


def _read_marcjson(stream: BinaryIO, name: str, repairs: list[Repair]) -> Iterator[Item]:
    text = stream.read().decode("utf-8-sig", "replace")
    position = 0
    for value in _json_values(text):
        if isinstance(value, tuple):
            position += 1
            start, error = value
            where = f"{error.msg} at line {error.lineno}, column {error.colno}"
            yield RejectedRecord(name, position, f"not valid JSON (the record starting on line {start}: {where})")
            continue
        reader = JSONReader("[]")
        reader.records = value if isinstance(value, list) else [value]
        records = iter(reader)
        while True:
            position += 1
            try:
                outcome: Record | RecordError = next(records)
            except StopIteration:
                position -= 1
                break
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
                outcome = RecordError(f"not a MARC-in-JSON record ({type(error).__name__}: {error})")
            yield _item(outcome, name, position)


def _json_values(text: str) -> Iterator[Any]:
    """Each JSON document in the text — one, or one a line (JSON Lines) — or (its first line, the error) for a broken one.

    After an error, reading resumes at the next line that starts with ``{`` or ``[``.
    """
    decoder = json.JSONDecoder(strict=False)
    index = 0
    while True:
        index = _JSON_SPACE.match(text, index).end()  # type: ignore[union-attr]
        if index >= len(text):
            return
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            yield text.count("\n", 0, index) + 1, error
            following = _NEXT_JSON_LINE.search(text, index + 1)
            index = following.start() if following else len(text)
            continue
        yield value


def _read_marcmaker(stream: BinaryIO, name: str, repairs: list[Repair]) -> Iterator[Item]:
    text = stream.read().decode("utf-8-sig", "replace").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    for position, block in enumerate(blocks, start=1):
        try:
            outcome: Record | RecordError = marcmaker.finished(next(iter(MARCMakerReader(block.strip("\n")))))
        except (PymarcException, ValueError, IndexError, KeyError) as error:
            outcome = RecordError(f"not a MARCMaker record: {error}")
        yield _item(outcome, name, position)


def _read_csv(stream: BinaryIO, name: str, repairs: list[Repair]) -> Iterator[Item]:
    return csvfile.read_csv(stream, name)


def _item(outcome: Record | RecordError, name: str, position: int) -> Item:
    if isinstance(outcome, RecordError):
        return RejectedRecord(name, position, outcome.reason, outcome.control_number)
    fallback_id = f"{Path(name).name}#{position}"
    try:
        if is_unimarc(outcome):
            return unimarc_to_record(outcome, fallback_id=fallback_id)
        return marc_to_record(outcome, fallback_id=fallback_id)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        cn = control_number(outcome)
        return RejectedRecord(name, position, f"could not be mapped: {error!r}", cn)


_READERS: dict[Format, Reader] = {
    Format.ISO2709: _read_iso2709,
    Format.MARCXML: _read_marcxml,
    Format.MARCJSON: _read_marcjson,
    Format.MARCMAKER: _read_marcmaker,
    Format.CSV: _read_csv,
}
