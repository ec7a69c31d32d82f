"""Clearance letters (*surat bebas pustaka*): ``BEBASPUSTAKA`` → check → librarian → PDF.

1. The patron sends ``BEBASPUSTAKA`` (or ``CLEARANCE``). refbot asks the library system for
   their open loans and unpaid fines. Anything open: the patron is told what, and nothing
   else happens. All clear: a draft goes to the librarians with *Setujui* / *Tolak*
   (``letter-approve:<id>`` / ``letter-reject:<id>``). The library system down: the draft
   goes to the librarians all the same, marked unchecked.
2. On *Setujui* refbot checks again — loans may have been made since — and only a patron
   still clear gets a letter: the next number of the year, today's date, a verification code
   and a QR code pointing at ``/verify/<code>``, as a PDF sent as a WhatsApp document. The
   approval, the letter's row and the message to the patron are one transaction. The PDF is
   kept in the desk's :class:`refbot.ports.MediaStore` as ``letters/<code>.pdf`` (in the
   database on PostgreSQL, so whichever node sends it can read it).
3. One open request and one valid letter per patron. ``BEBASPUSTAKA`` again while a request
   waits is answered with that request's number; from a patron who holds a valid letter, with
   its number and verification link. A new letter for the same person is a librarian's explicit
   re-issue, ``SURATULANG <number or code of the old letter>`` (``REISSUE`` in English): the
   patron is checked again, the new letter records which it replaces, and the old one's
   verification page says it was replaced, and by which.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from refbot.config import Settings
from refbot.decisions import fanout, requests
from refbot.decisions.requests import ServiceRequest
from refbot.delivery.render import mask_phone
from refbot.desk.hours import OfficeHours
from refbot.errors import LibraryUnavailable, RequestConflict
from refbot.models import Attachment, Button, InboundMessage, LibraryPatron, Loan, OutgoingMessage
from refbot.ports import LibrarySystem, MediaStore
from refbot.services.codes import Command, parse_code
from refbot.services.dates import library_zone, long_date
from refbot.services.letters.pdf import LetterContent, render_letter
from refbot.services.patrons import patron_language, resolve
from refbot.services.replies import clip, conflict_text, money, reply
from refbot.store import InboxRow, Store, Tx
from refbot.store.service_requests import IssuedLetter
from refbot.texts import t

_BUTTON = re.compile(r"^letter-(approve|reject):(\d+)$")
_REISSUE = re.compile(r"^\s*(?:suratulang|surat\s+ulang|reissue|re-issue)\s*#?\s*(\S.*?)\s*$", re.IGNORECASE)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(frozen=True)
class Clearance:
    """What the library system says about a patron's obligations."""

    patron: LibraryPatron
    loans: tuple[Loan, ...]
    balance: float

    @property
    def clear(self) -> bool:
        """No loans out and nothing owed."""
        return not self.loans and self.balance <= 0


class LetterService:
    """The desk service for clearance letters (a :class:`refbot.ports.DeskService`)."""

    name = "letters"

    def __init__(
        self, store: Store, settings: Settings, library: LibrarySystem, clock: Callable[[], float] = time.time,
        *, media: MediaStore,
    ) -> None:
        self.store = store
        self.settings = settings
        self.library = library
        self.clock = clock
        self.media = media
        self.hours = OfficeHours.from_settings(settings.desk)

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """``BEBASPUSTAKA`` from anyone; the letter buttons and ``SURATULANG`` from librarians."""
        if from_librarian and (_BUTTON.match(message.button_id) or _REISSUE.match(message.text)):
            return True
        code = parse_code(message.text) if message.type == "text" else None
        return code is not None and code.command is Command.CLEARANCE

    async def handle(self, row: InboxRow) -> None:
        """Check a patron for a letter, or act on a librarian's button (idempotent)."""
        button = _BUTTON.match(row.message.button_id)
        reissue = None if button else _REISSUE.match(row.message.text)
        if reissue and row.message.sender in {lib.phone for lib in self.settings.librarians}:
            await self._reissue(row, reissue[1])
        elif button and button[1] == "approve":
            await self._approve(row, int(button[2]))
        elif button:
            await self._reject(row, int(button[2]))
        else:
            await self._request(row)

    async def check(self, phone: str) -> Clearance | None:
        """The patron's loans and balance, or None when the number is not linked to a card.

        Raises:
            LibraryUnavailable: the library system could not be asked.
        """
        patron = await resolve(self.store, self.library, phone)
        if patron is None:
            return None
        loans = await self.library.loans(patron.id)
        account = await self.library.account(patron.id)
        return Clearance(patron, tuple(loans), account.balance)

    # -- the patron's request ------------------------------------------------------------------

    async def _request(self, row: InboxRow) -> None:
        code = parse_code(row.message.text)
        language = await patron_language(self.store, row.message.sender, self.settings.language.default,
                                         code.language if code else None)
        if await requests.for_inbox(self.store, row.id) is not None:
            await self.store.finish_inbox(row.id)  # drafted before a crash
            return
        if (already := await self._already(row.message.sender, language)) is not None:
            await reply(self.store, row, already)
            return
        try:
            clearance = await self.check(row.message.sender)
        except LibraryUnavailable as e:
            await self._draft(row, language, None, str(e))
            return
        if clearance is None:
            await reply(self.store, row, t(language, "not_linked"))
        elif not clearance.clear:
            await reply(self.store, row, self._not_clear_text(clearance, language))
        else:
            await self._draft(row, language, clearance, "")

    async def _already(self, patron: str, language: str) -> str | None:
        """What a patron with a request waiting, or a valid letter, is told instead of a second one."""
        async with self.store.tx() as db:
            waiting = await self.store.open_letter_request(db, patron)
        if waiting is not None:
            return t(language, "letter_already_requested", id=waiting)
        letter = await self.store.valid_letter(patron)
        if letter is not None:
            return t(language, "letter_already_issued", number=letter.number, url=self._verify_url(letter.code))
        return None

    async def _draft(self, row: InboxRow, language: str, clearance: Clearance | None, problem: str) -> None:
        detail = {"checked": clearance is not None, "problem": problem}
        if clearance is not None:
            detail |= {"patron_id": clearance.patron.id, "cardnumber": clearance.patron.cardnumber,
                       "name": clearance.patron.name}
        async with self.store.tx() as db:
            # Under the patron's lock: of two BEBASPUSTAKA at once, the second finds the first's request.
            waiting = await self.store.open_letter_request(db, row.message.sender)
            request_id = None if waiting is not None else await requests.create(
                self.store, db, inbox_id=row.id, kind="letter", patron=row.message.sender, language=language,
                detail=detail)
            if waiting is not None:
                told = OutgoingMessage(to=row.message.sender, text=t(language, "letter_already_requested", id=waiting))
                await self.store.enqueue(db, f"svc-reply:{row.id}:0", told)
            if request_id is not None:
                key = "letter_checking_later" if clearance is None else "letter_requested"
                now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC)
                told = OutgoingMessage(to=row.message.sender, text=t(language, key) + self.hours.closed_note(now, language))
                await self.store.enqueue(db, f"svc:{request_id}:requested:patron", told)
                await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{request_id}:new",
                                                      [self._librarian_draft(request_id, row, clearance, problem)])
            await self.store.finish_inbox(row.id, db)

    def _librarian_draft(self, request_id: int, row: InboxRow, clearance: Clearance | None, problem: str) -> OutgoingMessage:
        language = self.settings.language.default
        if clearance is None:
            text = t(language, "letter_draft_unchecked", id=request_id, patron=mask_phone(row.message.sender),
                     reason=clip(problem, 300))
        else:
            text = t(language, "letter_draft", id=request_id, name=clearance.patron.name,
                     card=clearance.patron.cardnumber, patron=mask_phone(row.message.sender))
        buttons = (Button(f"letter-approve:{request_id}", t(language, "button_approve")),
                   Button(f"letter-reject:{request_id}", t(language, "button_reject")))
        return OutgoingMessage(to="", text=clip(text, 1024), buttons=buttons)

    def _not_clear_text(self, clearance: Clearance, language: str) -> str:
        lines = [t(language, "letter_not_clear")]
        lines += [t(language, "letter_open_loan", title=loan.title, barcode=loan.barcode) for loan in clearance.loans]
        if clearance.balance > 0:
            lines.append(t(language, "letter_open_fines", total=money(clearance.balance, self.settings.koha.currency)))
        lines.append(t(language, "letter_not_clear_footer"))
        return clip("\n".join(lines))

    # -- the librarian's decision --------------------------------------------------------------

    async def _approve(self, row: InboxRow, request_id: int) -> None:
        language = self.settings.language.default
        try:
            request = requests.pending(await requests.get(self.store, request_id), request_id, "letter")
        except RequestConflict as e:
            await reply(self.store, row, conflict_text(self.settings, e, request_id))
            return
        try:
            clearance = await self.check(request.patron)
        except LibraryUnavailable as e:
            await reply(self.store, row, t(language, "letter_still_unchecked", id=request_id, reason=clip(str(e), 300)))
            return
        if clearance is None or not clearance.clear:
            why = t(language, "letter_no_longer_clear", id=request_id) if clearance else t(language, "not_linked")
            await reply(self.store, row, why)
            return
        held = await self.store.valid_letter(request.patron, clearance.patron.id)
        if held is not None:  # a second letter is a re-issue, which names the one it replaces
            await reply(self.store, row, t(language, "letter_holder_has_one", id=request_id, number=held.number))
            return
        await self._issue(row, request, clearance)

    async def _issue(self, row: InboxRow, request: ServiceRequest, clearance: Clearance) -> None:
        actor, language = row.message.sender, self.settings.language.default
        now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC).astimezone(library_zone(self.settings))
        async with self.store.tx() as db:
            try:
                await requests.approve(self.store, db, request.id, actor, kind="letter", messages=[])
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request.id)
            else:
                number, document = await self._write_letter(db, request, clearance, now)
                await self.store.enqueue(db, f"svc:{request.id}:letter:patron", document)
                ack = t(language, "letter_approved_ack", id=request.id, number=number)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=actor, text=ack))
            await self.store.finish_inbox(row.id, db)

    async def _write_letter(
        self, db: Tx, request: ServiceRequest, clearance: Clearance, now: datetime.datetime, replaces: str = "",
    ) -> tuple[str, OutgoingMessage]:
        seq = await self.store.next_letter_number(db, now.year)
        number = self.settings.letters.number_format.format(seq=seq, month=ROMAN_MONTHS[now.month - 1], year=now.year)
        code = new_code()
        official = letter_language(self.settings)  # an official letter is in the library's language, not the chat's
        content = LetterContent(
            number=number, code=code, verify_url=self._verify_url(code),
            name=clearance.patron.name, cardnumber=clearance.patron.cardnumber,
            date=long_date(now, official, now.tzinfo or datetime.UTC), language=official,
        )
        key = letter_key(code)
        pdf = await asyncio.to_thread(render_letter, content, self.settings.letters)
        # Kept before the letter's row commits: a letter is never sent without its file.
        await self.media.put(key, pdf, "application/pdf")
        await self.store.add_issued_letter(
            db, request_id=request.id, code=code, patron=request.patron, patron_id=clearance.patron.id,
            cardnumber=clearance.patron.cardnumber, name=clearance.patron.name, year=now.year, seq=seq, number=number,
            issued_at=now.timestamp(), path=key, replaces=replaces,
        )
        caption = t(request.language, "letter_sent", number=number, code=code)
        filename = f"bebas-pustaka-{re.sub(r'[^0-9A-Za-z]+', '-', clearance.patron.cardnumber)}.pdf"
        attachment = Attachment(key, filename, "application/pdf")
        return number, OutgoingMessage(to=request.patron, text=caption, document=attachment)

    def _verify_url(self, code: str) -> str:
        return f"{self.settings.public_url}/verify/{code}"

    # -- a re-issue ----------------------------------------------------------------------------

    async def _reissue(self, row: InboxRow, reference: str) -> None:
        """``SURATULANG <old letter>``: check its holder again and issue a letter that replaces it."""
        language = self.settings.language.default
        old = await self.store.letter_by_reference(reference)
        if old is None:
            await reply(self.store, row, t(language, "letter_reissue_unknown", reference=clip(reference, 60)))
            return
        if old.replaced_by:
            await reply(self.store, row, t(language, "letter_reissue_replaced", number=old.number,
                                           by=old.replaced_by))
            return
        try:
            clearance = await self.check(old.patron)
        except LibraryUnavailable as e:
            await reply(self.store, row, t(language, "letter_reissue_unchecked", number=old.number,
                                           reason=clip(str(e), 300)))
            return
        if clearance is None or not clearance.clear:
            await reply(self.store, row, t(language, "letter_reissue_not_clear", number=old.number))
            return
        await self._issue_replacement(row, old, clearance)

    async def _issue_replacement(self, row: InboxRow, old: IssuedLetter, clearance: Clearance) -> None:
        actor, language = row.message.sender, self.settings.language.default
        patron_language_ = await patron_language(self.store, old.patron, language)
        now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC).astimezone(library_zone(self.settings))
        detail = {"checked": True, "problem": "", "patron_id": clearance.patron.id, "replaces": old.number,
                  "cardnumber": clearance.patron.cardnumber, "name": clearance.patron.name}
        async with self.store.tx() as db:
            request_id = await requests.create(self.store, db, inbox_id=row.id, kind="letter", patron=old.patron,
                                                language=patron_language_, detail=detail)
            if request_id is not None:  # None: this message re-issued it before a crash
                request = await requests.approve(self.store, db, request_id, actor, kind="letter", messages=[])
                number, document = await self._write_letter(db, request, clearance, now, replaces=old.code)
                caption = t(patron_language_, "letter_sent_replacing", old=old.number) + "\n" + document.text
                await self.store.enqueue(db, f"svc:{request_id}:letter:patron", replace(document, text=caption))
                ack = OutgoingMessage(to=actor, text=t(language, "letter_reissued_ack", id=request_id, number=number,
                                                       old=old.number))
                await self.store.enqueue(db, f"svc-reply:{row.id}:0", ack)
            await self.store.finish_inbox(row.id, db)

    async def _reject(self, row: InboxRow, request_id: int) -> None:
        actor, language = row.message.sender, self.settings.language.default
        async with self.store.tx() as db:
            try:
                request = await requests.load(self.store, db, request_id)
                text = t(request.language if request else language, "letter_rejected")
                await requests.reject(self.store, db, request_id, actor, kind="letter", text=text)
                ack = t(language, "letter_rejected_ack", id=request_id)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=actor, text=ack))
            await self.store.finish_inbox(row.id, db)


def letter_language(settings: Settings) -> str:
    """The language clearance letters are written in: ``letters.language``, else ``language.default``."""
    return settings.letters.language or settings.language.default


def letter_key(code: str) -> str:
    """The key a letter's PDF is kept under in the :class:`refbot.ports.MediaStore`."""
    return f"letters/{code}.pdf"


def new_code() -> str:
    """A verification code nobody can guess (60 bits), easy to read aloud: K7QM-2XWD-9RTA."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))
