"""A plain text → :class:`InformationNeed`: ``refbot eval``'s reading with *understanding* switched off.

The pipeline's parser (:mod:`refbot.pipeline.parse`) understands requests: language, weights,
relative years, material kinds. To measure what that is worth, the evaluation also reads each
query this plain way — drop stop words and request phrasing, keep "quoted phrases" together,
read one or two four-digit years as a range — and compares.
"""

from __future__ import annotations

import re

from refbot.catalog.stopwords import STOP_WORDS
from refbot.models import InformationNeed, Term

_REQUEST_TEXT = """
    tolong mohon minta cari carikan mencari butuh membutuhkan perlu memerlukan ingin mau
    kak kakak min admin pak bu bapak ibu terima kasih makasih halo hai selamat pagi siang sore
    malam referensi rekomendasi literatur bahan bacaan buku tentang mengenai soal terkait
    please find need looking want search recommend references reading books book
"""
REQUEST_WORDS = frozenset(_REQUEST_TEXT.split())
_WORD = re.compile(r"\w+(?:[-.]\w+)*")
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def need_from_text(text: str, language: str = "id") -> InformationNeed:
    """An information need with every content word of the text as an equal-weight term."""
    years = sorted({int(y) for y in _YEAR.findall(text)})
    words = [w for w in _WORD.findall(text.lower()) if _is_content(w)]
    return InformationNeed(
        raw=text,
        language=language,
        terms=tuple(Term(w) for w in dict.fromkeys(words)),
        phrases=tuple(p.strip() for p in _QUOTED.findall(text) if " " in p.strip()),
        year_from=years[0] if years else None,
        year_to=years[-1] if len(years) > 1 else None,
    )


def _is_content(word: str) -> bool:
    return len(word) > 1 and not word.isdigit() and word not in STOP_WORDS and word not in REQUEST_WORDS
