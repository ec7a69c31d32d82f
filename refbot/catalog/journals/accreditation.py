"""What DOAJ and the library's SINTA list say of one journal, as ``Candidate.accreditation`` keeps it.

A draft is stored as plain data, so the facts travel as short labels; each reads on its own:

===============================  ==============================================================
``DOAJ``                         DOAJ lists the journal
``not in DOAJ``                  DOAJ answered, and does not list it
``DOAJ unknown``                 DOAJ was asked and did not answer in time
``SINTA 2``                      on the library's SINTA list, rank 2, valid on the draft's day
``SINTA 3 expired 2025-06-30``   on the list, but its accreditation ended that day
``SINTA decree 105/E/KPT/2022``  the decree that gave the rank
``SINTA until 2026-12-31``       the last day of the accreditation
``not in SINTA list 2026-11-01`` not on the list as the library last updated it that day
``SINTA unknown``                the list's row for the journal could not be read
===============================  ==============================================================

Item lines show only what vets a source ("DOAJ ✓ · SINTA 2"); the journal itself, asked about
by its ISSN, gets the whole answer, the "no"s and the "unknown"s included.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from refbot.catalog.journals.sinta import SintaEntry, SintaList
from refbot.models import Candidate, Kind
from refbot.texts import t

DOAJ = "DOAJ"
NOT_DOAJ = "not in DOAJ"
DOAJ_UNKNOWN = "DOAJ unknown"
SINTA_UNKNOWN = "SINTA unknown"
_SINTA = "SINTA "
_DECREE = "SINTA decree "
_UNTIL = "SINTA until "
_NOT_SINTA = "not in SINTA list"
_EXPIRED = " expired "
_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def labels(doaj: bool | None, sinta: SintaList | None, issns: tuple[str, ...], today: datetime.date,
           *, doaj_asked: bool) -> tuple[str, ...]:
    """The labels for a journal with ``issns``: DOAJ's answer (None: none in time) and the SINTA list's."""
    found: list[str] = []
    if doaj is True:
        found.append(DOAJ)
    elif doaj is False:
        found.append(NOT_DOAJ)
    elif doaj_asked:
        found.append(DOAJ_UNKNOWN)
    if sinta is not None:
        found += _sinta_labels(sinta, issns, today)
    return tuple(found)


def _sinta_labels(sinta: SintaList, issns: tuple[str, ...], today: datetime.date) -> list[str]:
    entry = sinta.find(issns)
    if entry is None:
        if sinta.unsure(issns):
            return [SINTA_UNKNOWN]
        return [f"{_NOT_SINTA} {sinta.updated.isoformat()}" if sinta.updated else _NOT_SINTA]
    return [_rank_label(entry, today), f"{_DECREE}{entry.decree}",
            *([f"{_UNTIL}{entry.valid_until.isoformat()}"] if entry.valid_until else [])]


def _rank_label(entry: SintaEntry, today: datetime.date) -> str:
    if entry.valid_on(today):
        return f"{_SINTA}{entry.rank}"
    assert entry.valid_until is not None
    return f"{_SINTA}{entry.rank}{_EXPIRED}{entry.valid_until.isoformat()}"


@dataclass(frozen=True)
class Reading:
    """The labels read back: what a line about the journal can say."""

    doaj: bool | None
    doaj_asked: bool
    rank: int | None
    expired: str
    decree: str
    until: str
    not_listed_as_of: str | None
    """The list's date when the journal is not on it ("" when the date is unknown); None when it is, or unchecked."""
    sinta_unknown: bool

    @classmethod
    def of(cls, accreditation: tuple[str, ...]) -> Reading:
        """Read a candidate's labels."""
        marks = set(accreditation)
        rank_label = next((a for a in accreditation if _is_rank(a)), "")
        rank, _, expired = rank_label.removeprefix(_SINTA).partition(_EXPIRED)
        not_listed = next((a for a in accreditation if a.startswith(_NOT_SINTA)), None)
        return cls(
            doaj=True if DOAJ in marks else False if NOT_DOAJ in marks else None,
            doaj_asked=bool(marks & {DOAJ, NOT_DOAJ, DOAJ_UNKNOWN}),
            rank=int(rank) if rank.isdigit() else None,
            expired=expired,
            decree=_after(accreditation, _DECREE),
            until=_after(accreditation, _UNTIL),
            not_listed_as_of=None if not_listed is None else not_listed.removeprefix(_NOT_SINTA).strip(),
            sinta_unknown=SINTA_UNKNOWN in marks,
        )


def _is_rank(label: str) -> bool:
    return label.startswith(_SINTA) and label[len(_SINTA):len(_SINTA) + 1].isdigit()


def _after(accreditation: tuple[str, ...], prefix: str) -> str:
    return next((a.removeprefix(prefix) for a in accreditation if a.startswith(prefix)), "")


def item_marks(c: Candidate, language: str) -> list[str]:
    """What an item line adds: "DOAJ ✓", "SINTA 2"; for a journal itself, the whole answer."""
    if not c.accreditation:
        return []
    reading = Reading.of(c.accreditation)
    if c.kind is Kind.JOURNAL:
        return [answer(reading, language)]
    marks = [t(language, "acc_doaj")] if reading.doaj else []
    return marks + ([t(language, "acc_sinta", rank=reading.rank)] if reading.rank and not reading.expired else [])


def answer(reading: Reading, language: str) -> str:
    """The answer to "is this journal accredited?": SINTA first (what students are asked for), then DOAJ."""
    return t(language, "acc_answer", sinta=_sinta_words(reading, language), doaj=_doaj_words(reading, language))


def _sinta_words(r: Reading, language: str) -> str:
    if r.rank is not None and r.expired:
        return t(language, "acc_sinta_expired", rank=r.rank, day=day(r.expired, language), decree=r.decree)
    if r.rank is not None:
        until = t(language, "acc_sinta_until", day=day(r.until, language)) if r.until else ""
        return t(language, "acc_sinta_decree", rank=r.rank, decree=r.decree, until=until)
    if r.sinta_unknown:
        return t(language, "acc_sinta_unknown")
    if r.not_listed_as_of is not None:
        when = day(r.not_listed_as_of, language)
        return t(language, "acc_not_sinta_as_of", day=when) if when else t(language, "acc_not_sinta")
    return t(language, "acc_sinta_unchecked")


def _doaj_words(r: Reading, language: str) -> str:
    if r.doaj is True:
        return t(language, "acc_in_doaj")
    if r.doaj is False:
        return t(language, "acc_not_doaj")
    return t(language, "acc_doaj_unknown") if r.doaj_asked else t(language, "acc_doaj_unchecked")


def day(iso: str, language: str) -> str:
    """``2026-12-31`` as a person writes it: "31 Des 2026" / "31 Dec 2026"; "" when it is not a date."""
    try:
        when = datetime.date.fromisoformat(iso)
    except ValueError:
        return ""
    months = _MONTHS.get(language, _MONTHS["id"])
    return f"{when.day} {months[when.month - 1]} {when.year}"
