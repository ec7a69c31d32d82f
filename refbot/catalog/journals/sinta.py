"""The library's SINTA list: the journals the ministry's decrees accredit, as a CSV the library keeps.

SINTA ranks (S1–S6) come from the decrees of the Directorate General ("Keputusan Direktur
Jenderal … tentang Peringkat Akreditasi Jurnal Ilmiah"). There is no open API for them, so the
library copies the journals its patrons ask about into a CSV (``journals.sinta_csv``)::

    issn,eissn,title,sinta_rank,decree,valid_until
    1907-4239,2503-1864,Berkala Literasi Informasi,2,105/E/KPT/2022,2026-12-31

==============  ========  =====================================================================
column          required  what it holds
==============  ========  =====================================================================
issn            one of    the print ISSN, NNNN-NNNC (the check digit is checked)
eissn           the two   the electronic ISSN
title           yes       the journal's title, as the decree writes it
sinta_rank      yes       1–6 (``2``, ``S2`` and ``SINTA 2`` all read as 2)
decree          yes       the decree's number, e.g. ``105/E/KPT/2022``
valid_until     no        the last day of the accreditation, YYYY-MM-DD or DD/MM/YYYY
==============  ========  =====================================================================

Headers are matched without regard to case; a file saved by Excel with ``;`` between fields or
with a byte-order mark reads the same. Lines starting with ``#`` are the library's notes. A row
that cannot be read is left out with a message naming its line and what is wrong; its ISSNs are
then "unknown" rather than "not on the list". The list's date ("updated …") is the file's last
change; the file is read again when it changes, without a restart.
"""

from __future__ import annotations

import asyncio
import csv
import datetime
import io
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from refbot.errors import ConfigError

log = logging.getLogger(__name__)

COLUMNS = ("issn", "eissn", "title", "sinta_rank", "decree", "valid_until")
REQUIRED = ("title", "sinta_rank", "decree")
KEY = "journals.sinta_csv"
DEMO_LIST = Path(__file__).resolve().parents[2] / "data" / "sinta_demo.csv"
"""The demo's list (invented journals and decrees), which the sandbox uses when the library names none."""
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$")
_RANK = re.compile(r"^(?:sinta|s)?\s*([1-6])$", re.IGNORECASE)


@dataclass(frozen=True)
class SintaEntry:
    """One accredited journal as the library's list gives it."""

    issns: tuple[str, ...]
    title: str
    rank: int
    decree: str
    valid_until: datetime.date | None
    line: int

    def valid_on(self, day: datetime.date) -> bool:
        """Whether the accreditation still holds on ``day`` (an entry without an end date always does)."""
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class SintaList:
    """The list as read: its entries by ISSN, the rows left out and why, and when the file last changed."""

    entries: tuple[SintaEntry, ...] = ()
    problems: tuple[str, ...] = ()
    updated: datetime.date | None = None
    unreadable: frozenset[str] = frozenset()
    """ISSNs of rows left out: for these the list cannot say no."""
    _by_issn: dict[str, SintaEntry] = field(default_factory=dict, compare=False, repr=False)

    def find(self, issns: Iterable[str]) -> SintaEntry | None:
        """The entry for any of a journal's ISSNs, or None."""
        return next((self._by_issn[i] for i in map(normal_issn, issns) if i in self._by_issn), None)

    def unsure(self, issns: Iterable[str]) -> bool:
        """Whether one of these ISSNs is on a row that could not be read."""
        return any(normal_issn(i) in self.unreadable for i in issns)


def normal_issn(value: str) -> str:
    """``1907-4239`` from ``19074239`` or ``1907-4239 `` (upper-case X); "" when it is not ISSN-shaped."""
    match = _ISSN.match(value.strip().upper())
    return f"{match[1]}-{match[2]}" if match else ""


def issn_check_digit_ok(issn: str) -> bool:
    """Whether an ``NNNN-NNNC`` ISSN's check digit is right (ISO 3297, modulus 11)."""
    digits = issn.replace("-", "")
    total = sum(int(d) * w for d, w in zip(digits[:7], range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return digits[7] == ("X" if check == 10 else str(check))


def read_list(path: Path) -> SintaList:
    """Read and check the library's SINTA list.

    Raises:
        ConfigError: the file cannot be read, or lacks a required column.
    """
    try:
        raw = path.read_bytes()
        changed = datetime.date.fromtimestamp(path.stat().st_mtime)
    except OSError as e:
        raise ConfigError(KEY, f"cannot read {path}: {e.strerror}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # an older Excel's "CSV" on Windows
    return parse_list(text, changed, source=str(path))


def parse_list(text: str, updated: datetime.date | None = None, *, source: str = "the SINTA list") -> SintaList:
    """The list in ``text``; see the module's docstring for the columns.

    Raises:
        ConfigError: no header, or a required column missing.
    """
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ConfigError(KEY, f"{source} is empty: expected a header line with {', '.join(COLUMNS)}")
    delimiter = ";" if lines[0][1].count(";") > lines[0][1].count(",") else ","
    rows = csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=delimiter)
    header = [h.strip().lower() for h in next(rows)]
    _check_header(header, source)
    entries: list[SintaEntry] = []
    problems: list[str] = []
    unreadable: set[str] = set()
    seen: dict[str, int] = {}
    for (number, _), row in zip(lines[1:], rows, strict=False):
        values = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        entry, wrong = _entry(values, number)
        if entry is not None:
            wrong += [f"ISSN {i} is already on line {seen[i]}" for i in entry.issns if i in seen]
        if wrong:
            problems.append(f"line {number}: " + "; ".join(wrong))
            unreadable.update(i for i in (normal_issn(values.get("issn", "")), normal_issn(values.get("eissn", ""))) if i)
            continue
        assert entry is not None
        seen.update(dict.fromkeys(entry.issns, number))
        entries.append(entry)
    by_issn = {i: e for e in entries for i in e.issns}
    return SintaList(tuple(entries), tuple(problems), updated, frozenset(unreadable - by_issn.keys()), by_issn)


def _check_header(header: list[str], source: str) -> None:
    missing = [c for c in REQUIRED if c not in header]
    if "issn" not in header and "eissn" not in header:
        missing.insert(0, "issn or eissn")
    if missing:
        raise ConfigError(KEY, f"{source}: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)};"
                             f" found: {', '.join(header) or 'nothing'})")


def _entry(values: dict[str, str], line: int) -> tuple[SintaEntry | None, list[str]]:
    """One row as an entry, or what is wrong with it (each problem in words a librarian can fix)."""
    wrong: list[str] = []
    issns = [_issn(values.get(name, ""), name, wrong) for name in ("issn", "eissn")]
    found = tuple(dict.fromkeys(i for i in issns if i))
    if not found and not wrong:
        wrong.append("no issn or eissn")
    title = values.get("title", "")
    if not title:
        wrong.append("title is empty")
    rank = _RANK.match(values.get("sinta_rank", "").strip())
    if rank is None:
        wrong.append(f"sinta_rank {values.get('sinta_rank', '')!r} is not 1–6")
    decree = values.get("decree", "")
    if not decree:
        wrong.append("decree is empty (the number of the Director General's decree)")
    until = _date(values.get("valid_until", ""), wrong)
    if wrong or rank is None:
        return None, wrong
    return SintaEntry(found, title, int(rank[1]), decree, until, line), []


def _issn(value: str, column: str, wrong: list[str]) -> str:
    if not value:
        return ""
    issn = normal_issn(value)
    if not issn:
        wrong.append(f"{column} {value!r} is not an ISSN (NNNN-NNNC)")
    elif not issn_check_digit_ok(issn):
        wrong.append(f"{column} {value!r} has a wrong check digit (a typo?)")
        return ""
    return issn


def _date(value: str, wrong: list[str]) -> datetime.date | None:
    if not value:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(value, form).date()
        except ValueError:
            continue
    wrong.append(f"valid_until {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    return None


class SintaFile:
    """The list at ``journals.sinta_csv``, read again whenever the library saves a new version."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._list: SintaList | None = None
        self._stamp: tuple[float, int] | None = None

    def load(self) -> SintaList:
        """Read the list now, logging each row left out (at start-up: a file that cannot be used stops it).

        Raises:
            ConfigError: the file cannot be read, or lacks a required column.
        """
        stamp = self._stat()
        found = read_list(self.path)
        for problem in found.problems:
            log.warning("SINTA list %s, %s: left out", self.path, problem)
        log.info("SINTA list %s: %d journals, %d rows left out", self.path, len(found.entries), len(found.problems))
        self._list, self._stamp = found, stamp
        return found

    async def current(self) -> SintaList | None:
        """The list as the file is now; the last good one when a new version cannot be read, None if none was."""
        if self._stamp is not None and self._stat() == self._stamp:
            return self._list
        try:
            return await asyncio.to_thread(self.load)
        except ConfigError as e:
            log.error("SINTA list: %s; the last version read is used", e)
            return self._list

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime, st.st_size
