"""The clearance letter as a PDF: letterhead, number, date, the patron, a verification code and QR.

Rendering is plain CPU work on a small page (a few milliseconds); callers run it in a thread.
Text goes through the PDF core font (Latin-1), so any other character is written as its
nearest Latin-1 form (accents kept, other scripts dropped) rather than failing the letter.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

from refbot.config import LetterSettings
from refbot.texts import t


@dataclass(frozen=True)
class LetterContent:
    """Everything printed on one letter."""

    number: str
    code: str
    verify_url: str
    name: str
    cardnumber: str
    date: str
    language: str = "id"


def render_letter(letter: LetterContent, settings: LetterSettings) -> bytes:
    """The letter as the bytes of a PDF."""
    pdf = FPDF(format="A4")
    pdf.set_margins(25, 20, 25)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_title(_latin1(t(letter.language, "letter_title")))
    pdf.set_author(_latin1(settings.library_name))
    _letterhead(pdf, settings)
    _body(pdf, letter, settings)
    _verification(pdf, letter)
    return bytes(pdf.output())


def _letterhead(pdf: FPDF, settings: LetterSettings) -> None:
    if settings.logo_path and Path(settings.logo_path).is_file():
        pdf.image(settings.logo_path, x=25, y=18, h=22)
    if settings.institution:
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 6, _latin1(settings.institution.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, _latin1(settings.library_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    if settings.address:
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5, _latin1(settings.address), align="C", new_x="LMARGIN", new_y="NEXT")
    y = max(pdf.get_y(), 40) + 2
    pdf.set_line_width(0.8)
    pdf.line(25, y, 185, y)
    pdf.set_line_width(0.2)
    pdf.line(25, y + 1.2, 185, y + 1.2)
    pdf.set_y(y + 8)


def _body(pdf: FPDF, letter: LetterContent, settings: LetterSettings) -> None:
    lang = letter.language
    pdf.set_font("Helvetica", "BU", 13)
    pdf.cell(0, 7, _latin1(t(lang, "letter_title")), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, _latin1(t(lang, "letter_number", number=letter.number)), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    signatory = settings.signatory_title or t(lang, "letter_default_signatory")
    pdf.multi_cell(0, 6, _latin1(t(lang, "letter_opening", signatory=signatory, library=settings.library_name)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for label, value in ((t(lang, "letter_name"), letter.name), (t(lang, "letter_card"), letter.cardnumber)):
        pdf.set_x(35)
        pdf.cell(40, 7, _latin1(label))
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, _latin1(f": {value}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
    pdf.ln(3)
    pdf.multi_cell(0, 6, _latin1(t(lang, "letter_statement", library=settings.library_name, date=letter.date)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(0, 6, _latin1(t(lang, "letter_closing")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    place = f"{settings.city}, {letter.date}" if settings.city else letter.date
    for line in (place, signatory, "", "", "", settings.signatory_name or "(.............................)"):
        pdf.set_x(115)
        pdf.cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")


def _verification(pdf: FPDF, letter: LetterContent) -> None:
    qr = segno.make(letter.verify_url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=2)
    png.seek(0)
    top = 240
    pdf.image(png, x=25, y=top, w=32, h=32)
    pdf.set_xy(62, top + 4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 5, _latin1(t(letter.language, "letter_code", code=letter.code)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(62)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(123, 4.5, _latin1(t(letter.language, "letter_verify", url=letter.verify_url)),
                   new_x="LMARGIN", new_y="NEXT")


def _latin1(text: str) -> str:
    """Text the PDF core fonts can draw: Latin-1 kept, the rest reduced to its base letters."""
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)
        out.append("".join(c for c in base if ord(c) < 256 and not unicodedata.combining(c)) or "?")
    return "".join(out)
