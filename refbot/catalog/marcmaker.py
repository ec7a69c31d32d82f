"""MARCMaker text (``.mrk``, what MarcEdit's MarcBreaker writes) read into pymarc records.

pymarc's ``MARCMakerReader`` splits the lines into fields but leaves MARCMaker's own
conventions in the text, so this module finishes the job:

- ``\\`` stands for a blank in the leader, in control fields and in indicators
  (``=001  fol05731351\\`` is the control number "fol05731351 ", not one ending in a backslash);
- ``{dollar}``, ``{lcub}``, ``{rcub}``, ``{bsol}`` and ``{verbar}`` stand for characters that
  MARCMaker syntax uses itself;
- MARC-8 files (``.mrk``) spell characters outside ASCII as mnemonics: ``{Lstrok}``, ``{AElig}``,
  and diacritics written *before* their letter as MARC-8 orders them (``{acute}o`` is "ó").

A mnemonic refbot does not know (``{zilch}``) stays as written: better a visible oddity than
a silently dropped letter.
"""

from __future__ import annotations

import re
import unicodedata

from pymarc import Field, Indicators, Leader, Record, Subfield

BLANK = "\\"

# Characters MARCMaker syntax reserves, and spacing characters MARC-8 holds outside ASCII.
_CHARACTERS = {
    "dollar": "$", "lcub": "{", "rcub": "}", "bsol": "\\", "verbar": "|", "esc": "",
    "Lstrok": "Ł", "lstrok": "ł", "Ostrok": "Ø", "ostrok": "ø", "Dstrok": "Đ", "dstrok": "đ",
    "THORN": "Þ", "thorn": "þ", "AElig": "Æ", "aelig": "æ", "OElig": "Œ", "oelig": "œ",
    "eth": "ð", "inodot": "ı", "Ohorn": "Ơ", "ohorn": "ơ", "Uhorn": "Ư", "uhorn": "ư",
    "softsign": "ʹ", "hardsign": "ʺ", "mlrhring": "ʼ", "mllhring": "ʻ", "middot": "·",
    "pound": "£", "copy": "©", "phono": "℗", "reg": "®", "plusmn": "±", "deg": "°",
    "flat": "♭", "sharp": "♯", "iquest": "¿", "iexcl": "¡", "scriptl": "ℓ",
    "joiner": "\u200d", "nonjoin": "\u200c",
}
# Diacritics: MARCMaker, like MARC-8, writes them before the letter they sit on.
_COMBINING = {
    "grave": "\u0300", "acute": "\u0301", "circ": "\u0302", "tilde": "\u0303", "macr": "\u0304",
    "breve": "\u0306", "dot": "\u0307", "uml": "\u0308", "hooka": "\u0309", "ring": "\u030a",
    "dblac": "\u030b", "caron": "\u030c", "candra": "\u0310", "rcommaa": "\u0315",
    "dotb": "\u0323", "dbldotb": "\u0324", "ringb": "\u0325", "cedil": "\u0327", "ogon": "\u0328",
    "circb": "\u032d", "breveb": "\u032e", "under": "\u0332", "dblunder": "\u0333",
    "llig": "\ufe20", "rlig": "\ufe21", "ltilde": "\ufe22", "rtilde": "\ufe23",
}
_MNEMONIC = re.compile(r"\{([A-Za-z]+)\}")


def finished(record: Record) -> Record:
    """A record as pymarc's MARCMaker reader gave it, with MARCMaker's conventions undone."""
    if record.leader is not None:
        record.leader = Leader(str(record.leader).replace(BLANK, " "))
    fields: list[Field] = []
    for field in record.fields:
        if field.control_field:
            fields.append(Field(tag=field.tag, data=unmnemonic((field.data or "").replace(BLANK, " "))))
            continue
        indicators = Indicators(*(i.replace(BLANK, " ") for i in field.indicators or ("", "")))
        subfields = [Subfield(code=s.code, value=unmnemonic(s.value)) for s in field.subfields]
        fields.append(Field(tag=field.tag, indicators=indicators, subfields=subfields))
    record.fields = fields
    return record


def unmnemonic(text: str) -> str:
    """Text with MARCMaker mnemonics replaced, each diacritic moved after its letter (NFC)."""
    if "{" not in text:
        return text
    out: list[str] = []
    marks = ""
    for piece in _pieces(text):
        if piece in _COMBINING.values():
            marks += piece
            continue
        out.append(piece[:1] + marks + piece[1:] if marks else piece)
        marks = ""
    out.append(marks)
    return unicodedata.normalize("NFC", "".join(out))


def _pieces(text: str) -> list[str]:
    """The text cut into mnemonics (as the characters they stand for) and the plain runs between."""
    pieces: list[str] = []
    position = 0
    for match in _MNEMONIC.finditer(text):
        pieces.append(text[position : match.start()])
        name = match.group(1)
        pieces.append(_COMBINING.get(name) or _CHARACTERS.get(name, match.group(0)))
        position = match.end()
    pieces.append(text[position:])
    return [p for p in pieces if p]
