"""SLiMS behind refbot's :class:`refbot.ports.LibrarySystem` and :class:`refbot.ports.ShelfStatus` ports.

SLiMS 9 offers no API for a member's loans or fines (its ``api/v1`` is read-only summaries),
so refbot reads its database with a read-only account (``GRANT SELECT``), in SLiMS 9's own
tables:

- ``member``: ``member_id`` is the card number (a string), ``member_name``, ``member_phone``
  (free text: ``0812-3456-7890``, ``+62 812…``, sometimes two numbers with ``/``);
- ``loan``: a member's current loans are ``is_lent = 1 AND is_return = 0``; ``due_date`` is a
  date (due by the end of that day), ``renewed`` how often it was extended;
- ``item`` (``item_code`` is the barcode ``loan`` joins on) → ``biblio`` for the title;
  ``mst_item_status`` (``no_loan``) and ``mst_location`` for a copy's shelf status;
- ``fines``: a ledger, what is owed is ``debet - credit`` of the rows where ``debet > credit``.

Renewals are not made here: SLiMS's renewal rules (loan rules per member and collection type,
reservations, holidays, the fine a late renewal books) live in its PHP staff screens, so
:meth:`SlimsLibrary.renew` answers ``BY_LIBRARIAN`` and the desk asks a librarian to extend
the loan in SLiMS. Every failure to get an answer — refused connection, wrong password,
timeout, a missing table — is :class:`LibraryUnavailable`.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

import asyncmy
from asyncmy.errors import Error as MySQLError

from connectors._phones import phone_pattern, same_phone
from refbot.config import Secret, SlimsSettings
from refbot.errors import LibraryUnavailable
from refbot.models import Account, Fine, Holding, LibraryPatron, Loan, Renewal
from refbot.ports import BY_LIBRARIAN
from refbot.store.slims import COPIES, FINES, LOANS, PATRON_BY_CARD, PATRONS_BY_PHONE, READ_ONLY

_SEVERAL_NUMBERS = re.compile(r"\s*(?:[/,;]|\batau\b|\bor\b)\s*", re.IGNORECASE)
_SLIMS_ID = re.compile(r"(?:^|slims[-/])(\d+)$", re.IGNORECASE)
_IN_LIBRARY_USE = "NL"  # SLiMS's seeded "No Loan" status: on the shelf, read there
_MAX_RECORDS = 200



class SlimsLibrary:
    """SLiMS's database, read with a read-only account; a connection per question, closed after it."""

    name = "slims"

    def __init__(self, settings: SlimsSettings, password: Secret, zone: datetime.tzinfo) -> None:
        self._settings = settings
        self._password = password
        self._zone = zone

    # -- the port ----------------------------------------------------------------------------

    async def patron_by_card(self, cardnumber: str) -> LibraryPatron | None:
        """The member whose ``member_id`` (the card number) is ``cardnumber``, or None."""
        rows = await self._query(PATRON_BY_CARD, (cardnumber.strip(),))
        return _patron(rows[0]) if rows else None

    async def patrons_by_phone(self, phone: str) -> list[LibraryPatron]:
        """Members whose phone field holds this number in any spelling (compared digit by digit)."""
        pattern = phone_pattern(phone)
        if not pattern:
            return []
        rows = await self._query(PATRONS_BY_PHONE, (pattern,))
        patrons = [_patron(row) for row in rows]
        return [p for p in patrons if any(same_phone(phone, known) for known in p.phones)]

    async def loans(self, patron_id: str) -> list[Loan]:
        """The member's open loans (``is_lent = 1 AND is_return = 0``), soonest due first."""
        rows = await self._query(LOANS, (patron_id,))
        return [self._loan(row) for row in rows]

    async def renew(self, loan: Loan) -> Renewal:
        """Nothing is renewed here: a librarian extends the loan in SLiMS (see the module's docstring)."""
        return Renewal(False, reason=BY_LIBRARIAN, renewals=loan.renewals)

    async def account(self, patron_id: str) -> Account:
        """The unpaid rows of the member's ``fines`` ledger."""
        rows = await self._query(FINES, (patron_id,))
        fines = tuple(Fine(_fine_description(row), float(int(row[1] or 0) - int(row[2] or 0))) for row in rows)
        return Account(sum(f.amount for f in fines), fines)

    async def copies(self, record_ids: Collection[str]) -> dict[str, tuple[Holding, ...]]:
        """Each record's items and whether each is on the shelf, on loan (with its due date) or away."""
        wanted = {biblio: record for record in record_ids if (biblio := biblio_id(record)) is not None}
        if not wanted:
            return {}
        ids = sorted(wanted)[:_MAX_RECORDS]
        rows = await self._query(COPIES.format(marks=", ".join(["%s"] * len(ids))), tuple(ids))
        found: dict[str, list[Holding]] = {}
        for row in rows:
            found.setdefault(wanted[int(row[0])], []).append(_holding(row))
        return {record: tuple(holdings) for record, holdings in found.items()}

    # -- the database ------------------------------------------------------------------------

    def _loan(self, row: Sequence[Any]) -> Loan:
        loan_id, barcode, due, renewed, title = row
        return Loan(id=str(loan_id), barcode=str(barcode or ""), title=str(title or barcode or "-"),
                    due=self._end_of(due), renewals=int(renewed or 0))

    def _end_of(self, day: Any) -> datetime.datetime | None:
        """A due date as SLiMS means it: due by the end of that day, in the library's time zone."""
        if not isinstance(day, datetime.date):
            return None
        return datetime.datetime.combine(day, datetime.time(23, 59, 59), self._zone)

    async def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            return await asyncio.wait_for(self._run(sql, args), self._settings.timeout)
        except TimeoutError as e:
            raise LibraryUnavailable(f"SLiMS's database did not answer within {self._settings.timeout:g} s") from e
        except MySQLError as e:
            raise LibraryUnavailable(f"SLiMS's database refused: {_reason(e)}") from e
        except OSError as e:
            raise LibraryUnavailable(f"cannot reach SLiMS's database: {e.strerror or e}") from e

    async def _run(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        s = self._settings
        connection = await asyncmy.connect(
            host=s.host, port=s.port, user=s.user, password=self._password.get(), database=s.database,
            connect_timeout=s.timeout, charset="utf8mb4", autocommit=True,
        )
        try:
            async with connection.cursor() as cursor:
                # Read only even if the account was given more than SELECT.
                await cursor.execute(READ_ONLY)
                await cursor.execute(sql, args)
                return list(await cursor.fetchall())
        finally:
            connection.close()


def biblio_id(record_id: str) -> int | None:
    """SLiMS's ``biblio_id`` in a catalog record id: ``123``, ``oai:slims/123``, ``oai:host:slims-123``."""
    found = _SLIMS_ID.search(record_id.strip())
    return int(found[1]) if found else None


def phone_numbers(field: str) -> tuple[str, ...]:
    """The numbers in a member's phone field: ``0812-3456-7890 / 0274 512345`` is two."""
    return tuple(n for n in (part.strip() for part in _SEVERAL_NUMBERS.split(field or "")) if n)


def _patron(row: Sequence[Any]) -> LibraryPatron:
    member_id, name, phone = row
    return LibraryPatron(str(member_id), str(member_id), str(name or member_id), phone_numbers(str(phone or "")))


def _holding(row: Sequence[Any]) -> Holding:
    _biblio, barcode, call_number, location, status_id, status_name, no_loan, due = row
    copy = Holding(location=str(location or ""), call_number=str(call_number or ""), barcode=str(barcode or ""))
    if isinstance(due, datetime.date):
        return replace(copy, available=False, status=f"on loan, due {due.isoformat()}")
    if no_loan and status_id == _IN_LIBRARY_USE:
        return replace(copy, status="in-library use only")
    if no_loan:
        return replace(copy, available=False, status=str(status_name or status_id).lower())
    return copy


def _fine_description(row: Sequence[Any]) -> str:
    day, _debet, _credit, description = row
    text = str(description or "").strip()
    if text:
        return text
    return f"denda {day.isoformat()}" if isinstance(day, datetime.date) else "denda"


def _reason(error: MySQLError) -> str:
    args: tuple[Any, ...] = error.args
    return str(args[1]) if len(args) > 1 else str(error)
