"""Reading binary MARC 21 (ISO 2709) files record by record, surviving broken records.

pymarc's ``MARCReader`` trusts the length in each leader and gives up on the rest of the file
at the first record whose length is wrong. Library exports break that rule often enough (a
record cut short, a length off by one, junk between records), so this reader splits the byte
stream on the record terminator (0x1D) itself and hands each piece to pymarc's ``Record``
separately. What one piece gets wrong stays with that piece:

- junk before a record is reported and skipped; the record after it is read;
- a record cut short and followed by a complete one (the terminator went missing with the
  cut) is told apart by the leader of the second, whose length matches the rest exactly;
- a leader length that disagrees with the real length is ignored when the directory fits;
- a directory that points past the end of the data rejects only that record.

Character coding follows leader/09 ("a" = UTF-8, blank = MARC-8), with one exception: a
record marked MARC-8 that has no MARC-8 escape sequences and is valid multi-byte UTF-8 is
read as UTF-8, because systems that export UTF-8 without setting leader/09 are common and
MARC-8 text is almost never valid UTF-8 by accident. A MARC-8 record that cannot be decoded
is retried as UTF-8 with undecodable bytes replaced.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from typing import BinaryIO

from pymarc import Field, RawField, Record, Subfield, marc8_to_unicode
from pymarc import exceptions as marc_errors

from refbot.errors import RecordError

TERMINATOR = b"\x1d"
FIELD_END = b"\x1e"
_BLOCK = 1 << 20
_BLANK = b"\r\n\t \x00\x1a"
# pymarc needs digits at 12-16 (the base address); the rest of a leader is often sloppy.
_LOOSE_LEADER = re.compile(rb"[ -~]{12}\d{5}[ -~]{7}")
# A leader found inside a piece must look right, or digits in the data would match.
_STRICT_LEADER = re.compile(rb"\d{5}[acdnp][a-z][a-z ][a ][a ]22\d{5}[ -~]{3}4500")
_REASONS: dict[type[Exception], str] = {
    marc_errors.RecordDirectoryInvalid: "malformed directory",
    marc_errors.NoFieldsFound: "the record has no fields",
    marc_errors.BaseAddressInvalid: "the base address in the leader points past the record",
    marc_errors.BaseAddressNotFound: "the leader has no base address",
    marc_errors.RecordLeaderInvalid: "the leader is not 24 characters",
}


def pieces(stream: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Split a stream on the record terminator.

    Yields:
        (piece, terminated): each piece with its terminator, and whether it had one (the
        last piece of a file may not).
    """
    pending = b""
    for block in iter(lambda: stream.read(_BLOCK), b""):
        pending += block
        *complete, pending = pending.split(TERMINATOR)
        for piece in complete:
            yield piece.lstrip(_BLANK) + TERMINATOR, True
    if pending.strip(_BLANK):
        yield pending.lstrip(_BLANK), False


def records_in(piece: bytes, terminated: bool) -> Iterator[Record | RecordError]:
    """Decode one piece: usually one record; a reject for junk or a record cut short."""
    if not piece.strip(_BLANK + TERMINATOR):
        return
    if not piece[:5].isdigit() and not _LOOSE_LEADER.match(piece):
        start = _find_leader(piece, 0)
        if start is None:
            yield RecordError(f"data that is not a MARC record ({len(piece)} bytes)")
            return
        yield RecordError(f"data that is not a MARC record ({start} bytes before a record)")
        piece = piece[start:]
    declared = _declared_length(piece)
    if declared != len(piece):
        start = _find_leader(piece, 24)
        if start is not None:
            yield RecordError(
                "record cut short (its terminator is missing)", control_number=sniff_001(piece)
            )
            piece = piece[start:]
        elif not terminated and (declared or 0) > len(piece):
            yield RecordError(
                "record cut short (the file ends inside it)", control_number=sniff_001(piece)
            )
            return
    yield decode(piece)


def decode(piece: bytes) -> Record | RecordError:
    """One record's bytes as a pymarc record, or the reason it cannot be read."""
    try:
        prepared = _prepared(piece)
    except RecordError as error:
        return _rejected(error, piece)
    utf8 = _is_utf8(piece)
    try:
        return _parse(prepared, utf8=utf8)
    except UnicodeDecodeError as error:
        if utf8 or error.encoding == "ascii":
            return _rejected(error, piece)
    except (marc_errors.PymarcException, ValueError, IndexError) as error:
        return _rejected(error, piece)
    # MARC-8 that does not decode: read it as UTF-8, replacing what cannot be read.
    try:
        return _parse(prepared, utf8=True)
    except (marc_errors.PymarcException, ValueError, IndexError, UnicodeDecodeError) as error:
        return _rejected(error, piece)


def sniff_001(piece: bytes) -> str:
    """The 001 of a record too broken to parse, when its directory still shows it."""
    try:
        base = int(piece[12:17])
        directory = piece[24 : base - 1]
        for i in range(0, len(directory) - 11, 12):
            if directory[i : i + 3] == b"001":
                length, offset = int(directory[i + 3 : i + 7]), int(directory[i + 7 : i + 12])
                raw = piece[base + offset : base + offset + length - 1]
                return raw.decode("ascii", "replace").strip()
    except ValueError:
        pass
    return ""


def _parse(piece: bytes, utf8: bool) -> Record:
    with warnings.catch_warnings():
        # pymarc warns (and carries on) about non-ASCII subfield codes.
        warnings.simplefilter("ignore", marc_errors.BadSubfieldCodeWarning)
        if utf8:
            return Record(
                piece, to_unicode=True, force_utf8=True, hide_utf8_warnings=True, utf8_handling="replace"
            )
        record = Record(piece, to_unicode=False, hide_utf8_warnings=True)
    record.fields = [_marc8_field(field) for field in record.fields]
    return record


def _marc8_field(field: Field | RawField) -> Field:
    # pymarc runs its pure-Python MARC-8 decoder on every subfield; most subfields of a
    # MARC-8 record are plain ASCII, which reads the same either way at a fraction of the
    # cost. Each subfield is decoded on its own, exactly as pymarc does.
    if field.control_field:
        return Field(tag=field.tag, data=_marc8_text(field.data))
    subfields = [Subfield(code=s.code, value=_marc8_text(s.value)) for s in field.subfields]
    return Field(tag=field.tag, indicators=field.indicators, subfields=subfields)


def _marc8_text(value: str | bytes | None) -> str:
    # pymarc types these as str, but with to_unicode=False they hold the raw bytes.
    if not isinstance(value, bytes):
        return value or ""
    if value.isascii() and b"\x1b" not in value:
        return value.decode("ascii")
    if b"\x1b" not in value:
        return str(marc8_to_unicode(value, hide_utf8_warnings=True))
    # pymarc writes "Multi-byte position … exceeds length" straight to stderr for a CJK
    # escape cut short, whatever it is told; it would tear through the progress bar.
    with contextlib.redirect_stderr(io.StringIO()):
        return str(marc8_to_unicode(value, hide_utf8_warnings=True))


def _prepared(piece: bytes) -> bytes:
    """The piece ready for pymarc: directory checked, realigned if need be, length set."""
    if not piece[12:17].isdigit():
        raise RecordError("the base address in the leader is not a number (positions 12-16)")
    base = int(piece[12:17])
    if not 24 < base < len(piece):
        raise RecordError(f"the base address in the leader is outside the record ({base})")
    if (base - 25) % 12:
        raise RecordError("malformed directory (its length is not a multiple of 12)")
    entries = _directory(piece[24 : base - 1])
    data = piece[base:]
    aligned = all(data[offset + length - 1 : offset + length] == FIELD_END for _, length, offset in entries)
    if not aligned:
        realigned = _realigned(piece, base, entries)
        if realigned is not None:
            return realigned
        if any(length + offset > len(data) + 1 for _, length, offset in entries):
            raise RecordError("the directory points past the end of the record (cut short?)")
    # The directory decides where fields are; a wrong leader length should not stop pymarc.
    return b"%05d" % len(piece) + piece[5:] if len(piece) <= 99999 else piece


def _directory(directory: bytes) -> list[tuple[bytes, int, int]]:
    entries = []
    for i in range(0, len(directory) - 11, 12):
        entry = directory[i : i + 12]
        if not entry[3:12].isdigit():
            raise RecordError(f"malformed directory (entry {i // 12 + 1} is not numeric)")
        entries.append((entry[:3], int(entry[3:7]), int(entry[7:12])))
    return entries


def _realigned(piece: bytes, base: int, entries: list[tuple[bytes, int, int]]) -> bytes | None:
    """Rebuild a directory whose offsets are wrong but whose fields are all there.

    Some exporters count field lengths in characters rather than bytes, so every offset
    after the first non-ASCII character is off. When the data holds exactly as many
    terminated fields as the directory lists, the field terminators are the truth.
    """
    fields = piece[base:].rstrip(TERMINATOR).split(FIELD_END)[:-1]
    if len(fields) != len(entries) or not entries:
        return None
    directory, offset = b"", 0
    for (tag, _, _), field in zip(entries, fields, strict=True):
        directory += tag + b"%04d%05d" % (len(field) + 1, offset)
        offset += len(field) + 1
    new_base = 24 + len(directory) + 1
    body = FIELD_END.join(fields) + FIELD_END + TERMINATOR
    total = new_base + len(body)
    if total > 99999 or any(len(f) >= 9999 for f in fields):
        return None
    leader = b"%05d" % total + piece[5:12] + b"%05d" % new_base + piece[17:24]
    return leader + directory + FIELD_END + body


def _declared_length(piece: bytes) -> int | None:
    return int(piece[:5]) if piece[:5].isdigit() else None


def _find_leader(piece: bytes, start: int) -> int | None:
    for match in _STRICT_LEADER.finditer(piece, start):
        if int(match.group()[:5]) == len(piece) - match.start() or start == 0:
            return match.start()
    return None


def _is_utf8(piece: bytes) -> bool:
    if piece[9:10] == b"a":
        return True
    if b"\x1b" in piece:
        return False
    if piece.isascii():
        # Plain ASCII reads the same in MARC-8 and UTF-8, and UTF-8 decodes far faster.
        return True
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _rejected(error: Exception, piece: bytes) -> RecordError:
    if isinstance(error, RecordError):
        reason = error.reason
    elif isinstance(error, UnicodeDecodeError) and error.encoding == "ascii":
        reason = "a non-ASCII byte in the leader, the directory or an indicator"
    elif isinstance(error, UnicodeDecodeError):
        reason = f"text that is not valid {error.encoding}"
    else:
        reason = _REASONS.get(type(error), f"{type(error).__name__}: {error}")
    return RecordError(reason, control_number=sniff_001(piece))
