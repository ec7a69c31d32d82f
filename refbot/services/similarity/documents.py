"""What a manuscript is, judged by its bytes: a PDF or a Word document (DOCX), its pages and words.

The type a phone declares is not trusted: a PDF starts with ``%PDF-``; a DOCX is a ZIP archive
holding ``word/document.xml``. A legacy ``.doc``, an image, a spreadsheet or anything else is
refused with a reason the patron can act on. PDFs are read with pypdf; a PDF whose pages carry
no text layer is a scan (Turnitin cannot read it), which is reported, not refused. DOCX files
are read with the standard library (``zipfile`` and ``xml.etree``): the words are the text
runs of ``word/document.xml``; the page count is the one Word last wrote in
``docProps/app.xml``, when it wrote one. Archives are read within limits, so a crafted file
(a ZIP bomb, an XML file with a DOCTYPE) is refused instead of filling memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SUFFIXES = {PDF: ".pdf", DOCX: ".docx"}
MAX_XML_BYTES = 64 * 1024 * 1024
"""The largest ``word/document.xml`` read (a thesis is a few MB; more is a crafted archive)."""
MIN_WORDS_PER_PAGE = 5
"""A PDF with fewer words than this per page on average is taken for a scan."""

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


class NotAccepted(ValueError):
    """The file is not a manuscript refbot can take; ``reason`` is ``type``, ``damaged`` or ``empty``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Manuscript:
    """What refbot found in a file."""

    mime_type: str
    pages: int
    words: int
    size: int

    @property
    def has_text(self) -> bool:
        """Whether the file has text a similarity checker can read (a scanned PDF has none)."""
        return self.words >= max(1, self.pages) * MIN_WORDS_PER_PAGE

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.mime_type]

    @property
    def label(self) -> str:
        """PDF or DOCX, as people call it."""
        return "PDF" if self.mime_type == PDF else "DOCX"


def sniff(data: bytes) -> str:
    """The type of a manuscript by its first bytes (and, for a ZIP, its contents); '' when neither."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return DOCX if "word/document.xml" in archive.namelist() else ""
        except (zipfile.BadZipFile, OSError, ValueError):
            return ""
    return ""


def inspect(data: bytes) -> Manuscript:
    """Read a manuscript's type, pages and words (blocking: run it in a thread).

    Raises:
        NotAccepted: not a PDF or DOCX, or one that cannot be opened.
    """
    kind = sniff(data)
    if kind == PDF:
        pages, words = _pdf(data)
    elif kind == DOCX:
        pages, words = _docx(data)
    else:
        raise NotAccepted("type", "neither a PDF nor a Word (DOCX) document")
    return Manuscript(kind, pages, words, len(data))


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters or digits, hyphenated words as one."""
    return len(_WORD.findall(text))


def _pdf(data: bytes) -> tuple[int, int]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise NotAccepted("damaged", "the PDF is password-protected")
        words = 0
        for page in reader.pages:
            words += count_words(page.extract_text() or "")
        return len(reader.pages), words
    except NotAccepted:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as e:
        raise NotAccepted("damaged", f"the PDF cannot be read ({e})") from e


def _docx(data: bytes) -> tuple[int, int]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            body = _member(archive, "word/document.xml")
            app = _member(archive, "docProps/app.xml") if "docProps/app.xml" in archive.namelist() else b""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as e:
        raise NotAccepted("damaged", f"the Word document cannot be opened ({e})") from e
    words = count_words(" ".join(_runs(body)))
    return _pages_from_app(app, words), words


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > MAX_XML_BYTES:
        raise NotAccepted("damaged", f"{name} is larger than any real document")
    with archive.open(info) as member:
        data = member.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES or b"<!DOCTYPE" in data[:4096]:
        raise NotAccepted("damaged", f"{name} is not a plain Word XML part")
    return data


def _runs(xml: bytes) -> list[str]:
    """The text of every paragraph (``w:p``), its runs (``w:t``) joined."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as e:
        raise NotAccepted("damaged", f"the Word document's text cannot be read ({e})") from e
    return ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p")]


def _pages_from_app(app: bytes, words: int) -> int:
    """The page count Word wrote, else an estimate of one page per 300 words (at least one)."""
    found = re.search(rb"<Pages>(\d{1,6})</Pages>", app)
    if found:
        return max(1, int(found[1]))
    return max(1, -(-words // 300))
