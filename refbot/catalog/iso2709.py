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

Character coding follows leader/09 ("a" = UTF-8, blank = MARC-8) where the bytes agree,
and the bytes where they do not, subfield by subfield:

- a record labelled MARC-8 whose text is valid multi-byte UTF-8 (and has no MARC-8 escape
  sequences) is read as UTF-8 — systems that export UTF-8 without setting leader/09 are
  common, and MARC-8 text is almost never valid UTF-8 by accident;
- a record labelled UTF-8 whose text is not UTF-8 but looks like MARC-8 (escape sequences,
  or only MARC-8's characters, each combining diacritic before a letter) is read as MARC-8;
- MARC-8 is judged on the whole record, not one subfield at a time: a record in which any
  subfield cannot be MARC-8 (a letter of Latin-1 "Janssonov\xe1," has no letter after its
  "diacritic") is in a code page throughout, so "ber\xe4ttelser" becomes "berättelser", not
  "bert̃telser";
- text that is mostly valid UTF-8 with a few bad bytes (and does not read as Cyrillic) is
  read as UTF-8, the bad bytes replaced: one broken character must not turn a whole title
  into mojibake;
- text that is none of these is read in a single-byte code page: Windows-1251 or DOS 866
  when the record's words read as Cyrillic in one of them (words mixing Latin and Cyrillic
  letters are what a wrong code page makes, so they count against it), else Windows-1252
  (Latin-1 text, whatever leader/09 says).

In a record labelled MARC-8, a character MARC-8 cannot hold is written as a numeric character
reference (``&#x00E9;``, the LC lossless conversion); those are turned back into characters.

Each such repair is noted (see :data:`UTF8_IN_MARC8` and its siblings) for the build
summary. UNIMARC records (a 200 field and no 245) are never MARC-8: their text is UTF-8 or a
code page, guessed the same way.
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


def records_in(piece: bytes, terminated: bool, notes: list[str] | None = None) -> Iterator[Record | RecordError]:
    """Decode one piece: usually one record; a reject for junk or a record cut short.

    What had to be put right to read the record is added to ``notes`` (see :func:`decode`).
    """
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
    yield decode(piece, notes)


UTF8_IN_MARC8 = "UTF-8 text in a record labelled MARC-8"
MARC8_IN_UTF8 = "MARC-8 text in a record labelled UTF-8"
REPLACED = "text that is not valid UTF-8 (undecodable bytes replaced)"
NO_SUBFIELDS = (
    "fields without indicators or subfield codes (leader/10-11 are 00): a national variant of ISO 2709, "
    "not MARC 21 or UNIMARC; export the catalog as MARC 21, UNIMARC, MARCXML or CSV"
)


def code_page_note(code_page: str) -> str:
    """The repair note for text read in a single-byte code page."""
    return f"text in code page {code_page}, neither UTF-8 nor MARC-8"


def decode(piece: bytes, notes: list[str] | None = None) -> Record | RecordError:
    """One record's bytes as a pymarc record, or the reason it cannot be read.

    Args:
        piece: the record's bytes, terminator included.
        notes: when given, what had to be put right to read the record is added to it
            (each repair once).
    """
    if piece[10:12] == b"00" and b"\x1f" not in piece:
        return _rejected(RecordError(NO_SUBFIELDS), piece)
    try:
        prepared = _prepared(piece)
    except RecordError as error:
        return _rejected(error, piece)
    labelled_utf8 = piece[9:10] == b"a"
    if _is_utf8(piece, labelled_utf8):
        try:
            record = _parse(prepared, utf8=True)
        except (marc_errors.PymarcException, ValueError, IndexError) as error:
            return _rejected(error, piece)
        if not labelled_utf8 and not piece.isascii() and notes is not None and not _is_unimarc(record):
            notes.append(UTF8_IN_MARC8)
        return _references_resolved(record) if not labelled_utf8 and b"&#x" in piece else record
    try:
        record = _parse(prepared, utf8=False)
    except (marc_errors.PymarcException, ValueError, IndexError) as error:
        return _rejected(error, piece)
    texts = _Texts(piece, labelled_utf8, unimarc=_is_unimarc(record))
    record.fields = [_decoded_field(field, texts) for field in record.fields]
    if notes is not None:
        notes.extend(note for note in texts.notes if note not in notes)
    return _references_resolved(record) if not labelled_utf8 and b"&#x" in piece else record


_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});")


def _references_resolved(record: Record) -> Record:
    """A MARC-8 record with its ``&#xXXXX;`` references (characters MARC-8 lacks) turned into characters."""
    for field in record.fields:
        if field.control_field:
            continue
        field.subfields = [Subfield(code=s.code, value=_REFERENCE.sub(_character, s.value)) for s in field.subfields]
    return record


def _character(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


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
        # The text stays bytes (pymarc types it as str): _Texts decodes it.
        return Record(piece, to_unicode=False, hide_utf8_warnings=True)


def _is_unimarc(record: Record) -> bool:
    return bool(record.get_fields("200")) and not record.get_fields("245")


def _decoded_field(field: Field | RawField, texts: _Texts) -> Field:
    # Each subfield is decoded on its own, as pymarc does: a MARC-8 escape lasts one subfield.
    if field.control_field:
        return Field(tag=field.tag, data=texts.decode(field.data))
    subfields = [Subfield(code=s.code, value=texts.decode(s.value)) for s in field.subfields]
    return Field(tag=field.tag, indicators=field.indicators, subfields=subfields)


class _Texts:
    """Decodes one record's subfields, choosing by the bytes where leader/09 is wrong."""

    def __init__(self, piece: bytes, labelled_utf8: bool, unimarc: bool) -> None:
        self.piece = piece
        self.labelled_utf8 = labelled_utf8
        self.unimarc = unimarc
        self.notes: list[str] = []
        self._code_page: str | None = None
        self._marc8: bool | None = None

    def decode(self, value: str | bytes | None) -> str:
        if not isinstance(value, bytes):
            return value or ""
        if value.isascii() and b"\x1b" not in value:
            return value.decode("ascii")
        if b"\x1b" not in value:
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                self._note(UTF8_IN_MARC8 if not self.labelled_utf8 and not self.unimarc else "")
                return text
        if not self.unimarc and _looks_marc8(value) and (b"\x1b" in value or self.reads_as_marc8()):
            self._note(MARC8_IN_UTF8 if self.labelled_utf8 else "")
            return _marc8(value)
        code_page = self.code_page()
        if code_page == _WESTERN and _mostly_utf8(value):
            self._note(REPLACED)
            return value.decode("utf-8", "replace")
        self._note(code_page_note(code_page))
        return value.decode(code_page, "replace")

    def code_page(self) -> str:
        """The single-byte code page the record's text reads best in (judged once, on all of it)."""
        if self._code_page is None:
            self._code_page = guess_code_page(self.piece)
        return self._code_page

    def reads_as_marc8(self) -> bool:
        """Whether every subfield that is neither ASCII nor UTF-8 could be MARC-8 (judged once)."""
        if self._marc8 is None:
            values = re.split(rb"[\x1d\x1e\x1f]", self.piece)
            self._marc8 = all(_looks_marc8(v) for v in values if not v.isascii() and not _is_utf8_text(v))
        return self._marc8

    def _note(self, note: str) -> None:
        if note and note not in self.notes:
            self.notes.append(note)


_WESTERN = "cp1252"
_CYRILLIC_PAGES = ("cp1251", "cp866")
_CYRILLIC = re.compile("[\u0410-\u044f\u0401\u0451]")
_LETTERS = re.compile(r"[^\W\d_]+")
_SUBFIELD_CODE = re.compile(rb"\x1f.", re.DOTALL)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# ANSEL, MARC-8's default G1 set: specials, then the combining marks that precede a letter.
_MARC8_SPECIAL = frozenset(range(0xA1, 0xAF)) | frozenset(range(0xB0, 0xBF)) | frozenset(range(0xC0, 0xC9))
_MARC8_COMBINING = frozenset(range(0xE0, 0xFF))
_MARC8_CONTROL = frozenset((0x88, 0x89, 0x8D, 0x8E))


def guess_code_page(data: bytes) -> str:
    """Windows-1251 or DOS 866 when the bytes read as more Cyrillic words in one, else Windows-1252."""
    text = _SUBFIELD_CODE.sub(b" ", data)  # "\x1faОсновы": the code "a" is no part of the word
    best, score = _WESTERN, 0
    for page in _CYRILLIC_PAGES:
        found = _cyrillic_score(text.decode(page, "replace"))
        if found > score:
            best, score = page, found
    return best


def _cyrillic_score(text: str) -> int:
    """Cyrillic letters in all-Cyrillic words, less those in words that mix in Latin letters.

    Latin-1 or UTF-8 bytes read in a Cyrillic code page also give Cyrillic letters, but inside
    Latin words ("berдttelser", "PhotДЌhan"); real Cyrillic text gives whole Cyrillic words.
    """
    score = 0
    for word in _LETTERS.findall(text):
        cyrillic = len(_CYRILLIC.findall(word))
        score += cyrillic if cyrillic == len(word) else -cyrillic
    return score


def _mostly_utf8(value: bytes) -> bool:
    """Whether at least three quarters of the non-ASCII bytes form valid UTF-8 sequences."""
    high = sum(byte >= 0x80 for byte in value)
    valid = sum(len(sequence) for sequence in _UTF8_SEQUENCE.findall(value))
    return valid > 0 and valid * 4 >= high * 3


def _is_utf8_text(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_marc8(value: bytes) -> bool:
    """Whether non-UTF-8 text is plausibly MARC-8: an escape, or only ANSEL, marks before letters."""
    if b"\x1b" in value:
        return True
    for i, byte in enumerate(value):
        if byte < 0x80 or byte in _MARC8_SPECIAL or byte in _MARC8_CONTROL:
            continue
        if byte not in _MARC8_COMBINING:
            return False
        following = value[i + 1 : i + 2]
        if not following or not (following.isalnum() or following[0] in _MARC8_COMBINING or following[0] in _MARC8_SPECIAL):
            return False
    return True


def _marc8(value: bytes) -> str:
    try:
        if b"\x1b" not in value:
            return str(marc8_to_unicode(value, hide_utf8_warnings=True))
        # pymarc writes "Multi-byte position … exceeds length" straight to stderr for a CJK
        # escape cut short, whatever it is told; it would tear through the progress bar.
        with contextlib.redirect_stderr(io.StringIO()):
            return str(marc8_to_unicode(value, hide_utf8_warnings=True))
    except (ValueError, IndexError, KeyError, UnicodeDecodeError):
        return value.decode("utf-8", "replace")


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


def _is_utf8(piece: bytes, labelled_utf8: bool) -> bool:
    """Whether the whole record reads as UTF-8: the fast path."""
    if piece.isascii() and (labelled_utf8 or b"\x1b" not in piece):
        # Plain ASCII reads the same in MARC-8 and UTF-8, and UTF-8 decodes far faster.
        return True
    if b"\x1b" in piece:
        return False
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
