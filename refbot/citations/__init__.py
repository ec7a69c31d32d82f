"""Citations for the patron's list: APA 7 entries, and RIS or BibTeX files, made locally.

Sending a list never waits on a network call per item: everything is formatted from what
the candidates already carry (see :mod:`refbot.citations.apa` for why refbot formats APA
itself instead of running citeproc-py).

    apa_citation(candidate, markup="whatsapp")   one APA 7 entry, italics as WhatsApp writes them
    export(candidates, "ris" | "bibtex")        (filename, MIME type, text) for a WhatsApp document

For finer control: :func:`reference_from_candidate` → :class:`Reference` → :func:`apa`,
:func:`to_ris`, :func:`to_bibtex`.
"""

from __future__ import annotations

from collections.abc import Iterable

from refbot.citations.apa import Markup, apa, author_list, editor_list, page_range, publisher_name
from refbot.citations.edition import edition_label
from refbot.citations.export import bibtex_key, to_bibtex, to_ris
from refbot.citations.reference import Name, Reference, normalise_doi, parse_name, reference_from_candidate
from refbot.models import Candidate

EXPORTS = {
    "ris": ("ris", "application/x-research-info-systems", to_ris),
    "bibtex": ("bib", "application/x-bibtex", to_bibtex),
}


def apa_citation(candidate: Candidate, markup: Markup = "plain", language: str = "en") -> str:
    """The APA 7 reference-list entry for one candidate from any source, for a reader of ``language``."""
    return apa(reference_from_candidate(candidate), markup, language)


def export(candidates: Iterable[Candidate], fmt: str, name: str = "referensi") -> tuple[str, str, str]:
    """A list as a reference-manager file: (file name, MIME type, text).

    Retracted candidates are left out, as they are from the patron's list.

    Raises:
        ValueError: ``fmt`` is neither "ris" nor "bibtex".
    """
    if fmt not in EXPORTS:
        raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(EXPORTS)}")
    extension, mime, write = EXPORTS[fmt]
    refs = [reference_from_candidate(c) for c in candidates if not c.retracted]
    return f"{name}.{extension}", mime, write(refs)


__all__ = [
    "EXPORTS",
    "Markup",
    "Name",
    "Reference",
    "apa",
    "apa_citation",
    "author_list",
    "bibtex_key",
    "edition_label",
    "editor_list",
    "export",
    "normalise_doi",
    "page_range",
    "parse_name",
    "publisher_name",
    "reference_from_candidate",
    "to_bibtex",
    "to_ris",
]
