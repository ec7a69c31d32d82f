"""A history as one PDF: the lists with their references and links, letters, similarity checks.

The patron's copy (``RIWAYAT``) and the librarians' record of a conversation (the console's
download) are the same document; the librarians' also carries the messages exchanged.
Rendering is plain CPU work (a few milliseconds a page); callers run it in a thread. Text goes
through the PDF core font (Latin-1), as the clearance letters do: typographic punctuation is
written as its plain form, accented letters are kept, and other scripts and emoji are dropped
rather than failing the document.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from refbot.services.dates import long_date
from refbot.services.history.collect import History, Item, LetterEntry, ListEntry, SimilarityEntry
from refbot.texts import t

_PLAIN = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"',
                        "„": '"', "…": "...", "•": "-", "→": "->", "\u00a0": " ", "\u200b": ""})
WIDTH = 160  # the text column of an A4 page with 25 mm margins


@dataclass(frozen=True)
class Said:
    """One message of a conversation, for the librarians' record."""

    at: float
    from_patron: bool
    text: str


@dataclass(frozen=True)
class Cover:
    """What the top of the document says: whose history, for which library, made when."""

    language: str
    library_name: str
    patron: str
    """The patron as the document names them (a masked number)."""
    made_at: datetime.datetime
    title_key: str = "history_title"
    made_by: str = ""
    """For the librarians' record: who downloaded it."""


def render_history(history: History, cover: Cover, conversation: Sequence[Said] = ()) -> bytes:
    """The history (and, for the librarians' record, the conversation) as the bytes of a PDF."""
    pdf = FPDF(format="A4")
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_title(printable(t(cover.language, cover.title_key)))
    pdf.set_author(printable(cover.library_name))
    _cover(pdf, cover)
    zone = cover.made_at.tzinfo or datetime.UTC
    for entry in history.lists:
        _list(pdf, entry, cover.language, zone)
    if history.letters:
        _heading(pdf, t(cover.language, "history_letters"))
        for letter in history.letters:
            _letter(pdf, letter, cover.language, zone)
    if history.similarity:
        _heading(pdf, t(cover.language, "history_similarity"))
        for check in history.similarity:
            _check(pdf, check, cover.language, zone)
    if conversation:
        _heading(pdf, t(cover.language, "history_conversation"))
        for said in conversation:
            _said(pdf, said, cover.language, zone)
    _paragraph(pdf, t(cover.language, "history_footer", library=cover.library_name), size=8, before=6)
    return bytes(pdf.output())


def _cover(pdf: FPDF, cover: Cover) -> None:
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, printable(cover.library_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, printable(t(cover.language, cover.title_key)), align="C", new_x="LMARGIN", new_y="NEXT")
    made = long_date(cover.made_at, cover.language, cover.made_at.tzinfo or datetime.UTC)
    _paragraph(pdf, t(cover.language, "history_made", date=made, patron=cover.patron), align="C")
    if cover.made_by:
        _paragraph(pdf, t(cover.language, "history_made_by", who=cover.made_by), align="C")
    y = pdf.get_y() + 2
    pdf.set_line_width(0.4)
    pdf.line(25, y, 185, y)
    pdf.set_y(y + 3)


def _list(pdf: FPDF, entry: ListEntry, language: str, zone: datetime.tzinfo) -> None:
    _heading(pdf, t(language, "history_list_heading", number=entry.number, asked=_date(entry.asked_at, language, zone),
                    sent=_date(entry.sent_at, language, zone)))
    if entry.question:
        _paragraph(pdf, t(language, "history_question", question=entry.question), style="I")
    if not entry.items:
        _paragraph(pdf, t(language, "history_no_items"))
    for n, found in enumerate(entry.items, start=1):
        _item(pdf, n, found)
    if entry.note:
        _paragraph(pdf, t(language, "librarian_note", note=entry.note), before=1)


def _item(pdf: FPDF, n: int, found: Item) -> None:
    pdf.set_font("Helvetica", "", 10)
    pdf.set_x(25)
    pdf.cell(8, 5, f"{n}.")
    # The reference ends with its DOI or URL when it has one; the whole entry is then the link.
    pdf.multi_cell(WIDTH - 8, 5, printable(found.reference), link=found.link or None, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(33)
    pdf.set_font("Helvetica", "", 8.5)
    pdf.multi_cell(WIDTH - 8, 4.5, printable(found.where), new_x="LMARGIN", new_y="NEXT")
    if found.link and found.link not in found.reference:
        pdf.set_x(33)
        pdf.set_text_color(20, 60, 160)
        pdf.multi_cell(WIDTH - 8, 4.5, printable(found.link), link=found.link, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)


def _letter(pdf: FPDF, letter: LetterEntry, language: str, zone: datetime.tzinfo) -> None:
    _paragraph(pdf, t(language, "history_letter_line", letter_number=letter.letter_number,
                      date=_date(letter.issued_at, language, zone), code=letter.code))
    pdf.set_text_color(20, 60, 160)
    _paragraph(pdf, t(language, "history_verify", url=letter.verify_url), size=9, link=letter.verify_url)
    pdf.set_text_color(0, 0, 0)


def _check(pdf: FPDF, check: SimilarityEntry, language: str, zone: datetime.tzinfo) -> None:
    percentage = "-" if check.percentage is None else f"{check.percentage:g}%"
    if language == "id":
        percentage = percentage.replace(".", ",")  # 12,5% as Indonesians write it
    report = t(language, "history_report_sent" if check.report_sent else "history_report_not_sent")
    _paragraph(pdf, t(language, "history_similarity_line", number=check.number,
                      date=_date(check.checked_at, language, zone), percentage=percentage, report=report))


def _said(pdf: FPDF, said: Said, language: str, zone: datetime.tzinfo) -> None:
    moment = datetime.datetime.fromtimestamp(said.at, zone)
    who = t(language, "history_from_patron" if said.from_patron else "history_from_library")
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.cell(0, 4.5, printable(f"{moment:%Y-%m-%d %H:%M} · {who}"), new_x="LMARGIN", new_y="NEXT")
    _paragraph(pdf, said.text or "-", size=9.5)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11.5)
    pdf.multi_cell(0, 6, printable(text), new_x="LMARGIN", new_y="NEXT")


def _paragraph(pdf: FPDF, text: str, *, size: float = 10, style: str = "", align: str = "L", before: float = 0,
               link: str = "") -> None:
    if before:
        pdf.ln(before)
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, size / 2, printable(text), align=align, link=link or None, new_x="LMARGIN", new_y="NEXT")


def _date(at: float, language: str, zone: datetime.tzinfo) -> str:
    return long_date(datetime.datetime.fromtimestamp(at, datetime.UTC), language, zone)


def printable(text: str) -> str:
    """Text the PDF core fonts can draw: Latin-1 kept, typographic marks made plain, the rest reduced or dropped."""
    out = []
    for ch in text.translate(_PLAIN):
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        kept = "".join(c for c in base if ord(c) < 256 and not unicodedata.combining(c))
        # A letter of another script becomes "?", so a reader sees something was there; an emoji is left out.
        out.append(kept or ("" if unicodedata.category(ch).startswith("S") else "?"))
    return "".join(out)
