"""The desk services' state: service requests, clearance letters, card links, renewals,
acquisition suggestions, and the language a patron chose.

A service request is anything besides a reference draft that a librarian decides on; how it
changes state is :mod:`refbot.decisions.requests`' business, the rows are kept here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from refbot.store.database import Database, Row, Tx


@dataclass(frozen=True)
class ServiceRequest:
    """A request as stored."""

    id: int
    inbox_id: int
    kind: str
    patron: str
    language: str
    status: str
    detail: dict[str, Any]
    suggestion: str
    answer: str
    decided_by: str


@dataclass(frozen=True)
class CardLink:
    """A WhatsApp number's link to a library card, as stored."""

    phone: str
    cardnumber: str
    patron_id: str
    name: str
    status: str
    code: str
    attempts: int
    request_id: int | None


@dataclass(frozen=True)
class IssuedLetter:
    """A clearance letter refbot issued, as its verification page shows it."""

    code: str
    number: str
    name: str
    cardnumber: str
    issued_at: float
    replaced_by: str = ""
    """The number of the letter a librarian issued in its place; '' while it is valid."""
    replaces: str = ""
    """The number of the letter this one replaced, if it was a re-issue."""
    patron: str = ""
    patron_id: str = ""


@dataclass(frozen=True)
class RenewalAttempt:
    """A renewal asked for by one message, written down before the library system is called."""

    renewals_before: int
    outcome: str
    """The renewal's outcome as JSON once known, else ''."""


class ServiceRequestStore(Database):
    """Reads and writes of ``service_requests``, ``letters``, ``card_links``, ``renewal_attempts``,
    ``suggestions`` and the patrons' chosen language."""

    # -- service requests ------------------------------------------------------------------

    async def create_service_request(
        self, db: Tx, *, inbox_id: int, kind: str, patron: str, language: str,
        detail: dict[str, Any], suggestion: str = "",
    ) -> int | None:
        """Store a new pending request for an inbound message; None when that message has one."""
        now = self.clock()
        row = await db.fetchone(
            "INSERT INTO service_requests (inbox_id, kind, patron, language, detail, suggestion,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (inbox_id) DO NOTHING RETURNING id",
            (inbox_id, kind, patron, language, json.dumps(detail, ensure_ascii=False), suggestion, now, now),
        )
        return int(row["id"]) if row else None

    async def load_service_request(self, db: Tx, request_id: int) -> ServiceRequest | None:
        """One request, read inside a transaction."""
        row = await db.fetchone("SELECT * FROM service_requests WHERE id = ?", (request_id,))
        return _service_request(row) if row else None

    async def service_request(self, request_id: int) -> ServiceRequest | None:
        """One request, outside any transaction."""
        row = await self.fetchone("SELECT * FROM service_requests WHERE id = ?", (request_id,))
        return _service_request(row) if row else None

    async def service_request_for_inbox(self, inbox_id: int) -> ServiceRequest | None:
        """The request an inbound message made, if it made one."""
        row = await self.fetchone("SELECT * FROM service_requests WHERE inbox_id = ?", (inbox_id,))
        return _service_request(row) if row else None

    async def decide_service_request(
        self, db: Tx, request_id: int, status: str, actor: str, answer: str,
    ) -> bool:
        """Decide a pending request; False when it was no longer pending (someone decided first)."""
        cur = await db.execute(
            "UPDATE service_requests SET status = ?, decided_by = ?, answer = ?, updated_at = ?"
            " WHERE id = ? AND status = 'pending'",
            (status, actor, answer, self.clock(), request_id),
        )
        return cur.rowcount > 0

    # -- clearance letters -----------------------------------------------------------------

    async def next_letter_number(self, db: Tx, year: int) -> int:
        """The sequence number the next letter of ``year`` gets (held for this transaction: no other process numbers one meanwhile)."""
        await db.serialize(f"letters:{year}")
        found = await db.fetchone("SELECT COALESCE(MAX(seq), 0) + 1 FROM letters WHERE year = ?", (year,))
        return int(found[0]) if found else 1

    async def add_issued_letter(
        self, db: Tx, *, request_id: int, code: str, patron: str, patron_id: str, cardnumber: str, name: str,
        year: int, seq: int, number: str, issued_at: float, path: str, replaces: str = "",
    ) -> None:
        """Keep a letter issued for a request (inside the caller's transaction).

        ``replaces`` is the code of the letter this one replaces, which stops being valid.
        """
        await db.execute(
            "INSERT INTO letters (request_id, code, patron, patron_id, cardnumber, name, status, year, seq, number,"
            " issued_at, path, replaces) VALUES (?, ?, ?, ?, ?, ?, 'issued', ?, ?, ?, ?, ?, ?)",
            (request_id, code, patron, patron_id, cardnumber, name, year, seq, number, issued_at, path, replaces),
        )
        if replaces:
            await db.execute("UPDATE letters SET status = 'replaced', replaced_by = ? WHERE code = ?",
                             (code, replaces))

    async def issued_letter(self, code: str) -> IssuedLetter | None:
        """The letter refbot issued with this verification code (valid or replaced), if there is one."""
        return await self._letter("l.code = ?", (code,))

    async def letter_by_reference(self, reference: str) -> IssuedLetter | None:
        """The issued letter a librarian names by its number or its verification code."""
        typed = reference.strip().upper()
        return await self._letter("(UPPER(l.number) = ? OR l.code = ?)", (typed, typed))

    async def valid_letter(self, patron: str, patron_id: str = "") -> IssuedLetter | None:
        """The patron's letter still valid (issued, not replaced), found by number or library patron id."""
        if patron_id:
            return await self._letter("l.status = 'issued' AND (l.patron = ? OR l.patron_id = ?)", (patron, patron_id))
        return await self._letter("l.status = 'issued' AND l.patron = ?", (patron,))

    async def _letter(self, where: str, params: tuple[str, ...]) -> IssuedLetter | None:
        row = await self.fetchone(
            "SELECT l.*, COALESCE(n.number, '') AS replaced_by_number, COALESCE(o.number, '') AS replaces_number"
            " FROM letters l LEFT JOIN letters n ON n.code = l.replaced_by AND l.replaced_by != ''"
            " LEFT JOIN letters o ON o.code = l.replaces AND l.replaces != ''"
            f" WHERE l.status IN ('issued', 'replaced') AND {where} ORDER BY l.id DESC LIMIT 1",
            params,
        )
        if row is None:
            return None
        return IssuedLetter(code=row["code"], number=row["number"], name=row["name"], cardnumber=row["cardnumber"],
                            issued_at=float(row["issued_at"]), replaced_by=row["replaced_by_number"],
                            replaces=row["replaces_number"], patron=row["patron"], patron_id=row["patron_id"])

    async def open_letter_request(self, db: Tx, patron: str) -> int | None:
        """The patron's clearance request still waiting for a librarian, read under the patron's lock.

        Two ``BEBASPUSTAKA`` handled at once by two workers serialize here, so the second finds the first.
        """
        await db.serialize(f"letter-request:{patron}")
        row = await db.fetchone(
            "SELECT id FROM service_requests WHERE patron = ? AND kind = 'letter' AND status = 'pending'"
            " ORDER BY id LIMIT 1", (patron,),
        )
        return int(row["id"]) if row else None

    # -- card links ------------------------------------------------------------------------

    async def linked_card(self, phone: str) -> str:
        """The card number linked to a WhatsApp number, or ''."""
        row = await self.fetchone("SELECT cardnumber FROM card_links WHERE phone = ? AND status = 'linked'", (phone,))
        return str(row["cardnumber"]) if row else ""

    async def pending_card_link(self, phone: str) -> CardLink | None:
        """The link of this number that waits for confirmation, if any."""
        row = await self.fetchone("SELECT * FROM card_links WHERE phone = ? AND status = 'pending'", (phone,))
        if row is None:
            return None
        return CardLink(phone=row["phone"], cardnumber=row["cardnumber"], patron_id=row["patron_id"], name=row["name"],
                        status=row["status"], code=row["code"], attempts=row["attempts"], request_id=row["request_id"])

    async def count_card_code_attempt(self, db: Tx, phone: str) -> None:
        """One more wrong confirmation code tried for this number's link."""
        await db.execute("UPDATE card_links SET attempts = attempts + 1, updated_at = ? WHERE phone = ?",
                         (self.clock(), phone))

    async def upsert_card_link(
        self, db: Tx, phone: str, card: str, patron_id: str, name: str, *, status: str, code: str,
        request_id: int | None,
    ) -> None:
        """Start (or start over) this number's link to a card, with no wrong codes tried."""
        now = self.clock()
        await db.execute(
            "INSERT INTO card_links (phone, cardnumber, patron_id, name, status, code, attempts, request_id,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (phone) DO UPDATE SET"
            " cardnumber = excluded.cardnumber, patron_id = excluded.patron_id, name = excluded.name,"
            " status = excluded.status, code = excluded.code, attempts = 0, request_id = excluded.request_id,"
            " confirmed_by = '', updated_at = excluded.updated_at",
            (phone, card, patron_id, name, status, code, request_id, now, now),
        )

    async def set_card_linked(self, db: Tx, phone: str, by: str) -> None:
        """Confirm this number's link (``by``: who or what confirmed it); the code is spent."""
        await db.execute(
            "UPDATE card_links SET status = 'linked', code = '', confirmed_by = ?, updated_at = ? WHERE phone = ?",
            (by, self.clock(), phone),
        )

    async def reject_card_link(self, db: Tx, phone: str, actor: str) -> None:
        """Refuse this number's pending link."""
        await db.execute("UPDATE card_links SET status = 'rejected', confirmed_by = ?, updated_at = ?"
                         " WHERE phone = ? AND status = 'pending'", (actor, self.clock(), phone))

    # -- renewals --------------------------------------------------------------------------

    async def renewal_attempt(self, origin: str, barcode: str) -> RenewalAttempt | None:
        """The renewal of ``barcode`` that the message ``origin`` asked for, if it was written down."""
        row = await self.fetchone("SELECT * FROM renewal_attempts WHERE origin = ? AND barcode = ?", (origin, barcode))
        if row is None:
            return None
        return RenewalAttempt(renewals_before=row["renewals_before"], outcome=row["outcome"] or "")

    async def start_renewal_attempt(
        self, origin: str, barcode: str, checkout_id: str, renewals_before: int, created_at: float,
    ) -> None:
        """Write down a renewal before the library system is asked for it."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO renewal_attempts (origin, barcode, checkout_id, renewals_before, created_at)"
                " VALUES (?, ?, ?, ?, ?)", (origin, barcode, checkout_id, renewals_before, created_at))

    async def record_renewal_outcome(self, origin: str, barcode: str, outcome: str) -> None:
        """Keep what the renewal came to (as JSON)."""
        async with self.tx() as db:
            await db.execute("UPDATE renewal_attempts SET outcome = ? WHERE origin = ? AND barcode = ?",
                             (outcome, origin, barcode))

    # -- suggestions -----------------------------------------------------------------------

    async def add_suggestion(self, inbox_id: int, patron: str, text: str, isbn: str) -> None:
        """Keep a patron's acquisition suggestion, once per inbound message."""
        async with self.tx() as db:
            await db.execute(
                "INSERT INTO suggestions (inbox_id, patron, text, isbn, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (inbox_id) DO NOTHING",
                (inbox_id, patron, text, isbn, self.clock()),
            )

    async def open_suggestions(self, limit: int) -> list[Row]:
        """The newest suggestions not yet decided."""
        return await self.fetchall(
            "SELECT id, patron, text, isbn, created_at FROM suggestions WHERE status = 'new' ORDER BY id DESC LIMIT ?",
            (limit,),
        )

    # -- patrons' language -----------------------------------------------------------------

    async def patron_language(self, phone: str) -> str | None:
        """The language a patron chose (``BAHASA#EN``), as stored; None when they have no row."""
        row = await self.fetchone("SELECT language FROM patrons WHERE phone = ?", (phone,))
        return row["language"] if row else None

    async def last_question_language(self, phone: str) -> str | None:
        """The language of a patron's latest question, if they asked one."""
        row = await self.fetchone("SELECT language FROM requests WHERE patron = ? ORDER BY id DESC LIMIT 1", (phone,))
        return row["language"] if row else None

    async def remember_language(self, db: Tx, phone: str, language: str) -> None:
        """Keep a patron's chosen language (inside the caller's transaction)."""
        await db.execute(
            "INSERT INTO patrons (phone, language) VALUES (?, ?)"
            " ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
            (phone, language),
        )


def _service_request(row: Row) -> ServiceRequest:
    return ServiceRequest(
        id=row["id"], inbox_id=row["inbox_id"], kind=row["kind"], patron=row["patron"], language=row["language"],
        status=row["status"], detail=json.loads(row["detail"]), suggestion=row["suggestion"], answer=row["answer"],
        decided_by=row["decided_by"],
    )
