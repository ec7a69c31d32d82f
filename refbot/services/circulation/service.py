"""Circulation by keyword codes: RENEW#, PINJAMAN, DENDA, USUL#, DAFTAR#, KODE#, MENU, BAHASA#.

Codes that need the library system (renew, loans, fines, linking a card) go through a
:class:`~refbot.ports.LibrarySystem`. When it cannot be asked, the patron is told
so and the code waits for a librarian as a ``circulation`` service request: the librarian
presses *Coba lagi* (``circ-retry:<id>``) once the system is back — the code is run again and
the patron gets the answer — or *Selesai* (``circ-done:<id>``) after handling it by hand, or
answers in their own words with ``JAWAB#<id> …``.

With SLiMS, whose renewal rules only its staff screens apply, ``RENEW#`` becomes a ``renewal``
request a librarian confirms after extending the loan in SLiMS (:mod:`.by_hand`).

A renewal is written down before the library system is asked (``renewal_attempts``), so a
crash between asking and answering never renews twice: on the next try the loan's renewal
count shows whether the first try went through.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict

from refbot.config import Settings
from refbot.decisions import fanout, requests
from refbot.delivery.render import mask_phone
from refbot.errors import LibraryUnavailable, RequestConflict
from refbot.models import Account, Button, InboundMessage, LibraryPatron, Loan, OutgoingMessage, Renewal
from refbot.ports import BY_LIBRARIAN, LibrarySystem
from refbot.services.circulation import suggestions
from refbot.services.circulation.by_hand import RenewalsByHand
from refbot.services.circulation.linking import CardLinking
from refbot.services.codes import Code, Command, parse_code
from refbot.services.dates import library_zone, long_date
from refbot.services.patrons import patron_language, resolve
from refbot.services.replies import clip, conflict_text, money, reply
from refbot.store import InboxRow, Store
from refbot.texts import has, t

log = logging.getLogger(__name__)

_BUTTON = re.compile(r"^(circ-retry|circ-done|link-approve|link-reject|renew-done|renew-refuse):(\d+)$")
_BARCODES = re.compile(r"[\s,;]+")
HANDLED = frozenset({Command.RENEW, Command.LOANS, Command.FINES, Command.SUGGEST, Command.MENU,
                     Command.REGISTER, Command.CONFIRM, Command.LANGUAGE})
NEEDS_LIBRARY = frozenset({Command.RENEW, Command.LOANS, Command.FINES, Command.REGISTER})
MAX_BARCODES = 10


class CirculationService:
    """The desk service for circulation codes (a :class:`refbot.ports.DeskService`)."""

    name = "circulation"

    def __init__(
        self, store: Store, settings: Settings, library: LibrarySystem, clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.library = library
        self.clock = clock
        self.linking = CardLinking(store, settings, library)
        self.by_hand = RenewalsByHand(store, settings, library, self.date)

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """Circulation codes from anyone; the retry/done and link buttons from librarians."""
        if from_librarian and _BUTTON.match(message.button_id):
            return True
        code = parse_code(message.text) if message.type == "text" else None
        return code is not None and code.command in HANDLED

    async def handle(self, row: InboxRow) -> None:
        """Answer one code, or act on one librarian button (idempotent)."""
        button = _BUTTON.match(row.message.button_id)
        if button:
            await self._button(row, button[1], int(button[2]))
            return
        code = parse_code(row.message.text)
        assert code is not None  # wants() said so
        language = await patron_language(self.store, row.message.sender, self.settings.language.default, code.language)
        if code.command in NEEDS_LIBRARY:
            await self._with_library(row, code, language)
        elif code.command is Command.CONFIRM:
            await self.linking.confirm(row, code.argument, language)
        elif code.command is Command.SUGGEST:
            await suggestions.handle(self.store, self.settings, row, code.argument, language)
        elif code.command is Command.LANGUAGE:
            await self._language(row, code.argument, language)
        else:
            await reply(self.store, row, self.menu(language, row.message.sender))

    def menu(self, language: str, sender: str) -> str:
        """What the desk can do; librarians also see their own commands."""
        librarians = {lib.phone for lib in self.settings.librarians}
        extra = "\n\n" + t(language, "menu_librarian") if sender in librarians else ""
        return t(language, "menu") + extra

    # -- codes that need the library system ----------------------------------------------------

    async def _with_library(self, row: InboxRow, code: Code, language: str) -> None:
        try:
            if code.command is Command.REGISTER:
                await self.linking.register(row, code.argument, language)
                return
            texts = await self.run(code, row.message.sender, language, origin=f"inbox:{row.id}")
        except LibraryUnavailable as e:
            log.warning("library system unavailable for %s: %s", code.command.value, e)
            await self._wait_for_librarian(row, code, language, str(e))
            return
        await reply(self.store, row, texts)

    async def run(self, code: Code, phone: str, language: str, *, origin: str) -> list[str]:
        """The patron's answer to a renew, loans or fines code.

        Raises:
            LibraryUnavailable: the library system could not be asked.
        """
        patron = await resolve(self.store, self.library, phone)
        if patron is None:
            return [t(language, "not_linked")]
        if code.command is Command.RENEW:
            return [await self._renew(patron, code.argument, language, origin, phone)]
        if code.command is Command.LOANS:
            return [self._loans_text(await self.library.loans(patron.id), language)]
        return [self._fines_text(patron, language, await self.library.account(patron.id))]

    async def _renew(self, patron: LibraryPatron, argument: str, language: str, origin: str, phone: str) -> str:
        barcodes = list(dict.fromkeys(b for b in _BARCODES.split(argument.strip().upper()) if b))[:MAX_BARCODES]
        if not barcodes:
            return t(language, "renew_usage")
        loans = await self.library.loans(patron.id)
        by_barcode = {_plain(loan.barcode): loan for loan in loans}
        lines, by_hand = [], []
        for barcode in barcodes:
            loan = by_barcode.get(_plain(barcode))
            if loan is None:
                yours = ", ".join(loan.barcode for loan in loans) or "-"
                lines.append(t(language, "renew_unknown_barcode", barcode=barcode, yours=yours))
                continue
            renewal = await self._renew_once(origin, loan)
            if renewal.reason == BY_LIBRARIAN:
                by_hand.append(loan)
            else:
                lines.append(self._renewal_text(loan, renewal, language))
        if by_hand:
            inbox_id = int(origin.rpartition(":")[2])
            lines.append(await self.by_hand.ask(inbox_id, phone, patron, by_hand, language))
        return "\n\n".join(lines)

    async def _renew_once(self, origin: str, loan: Loan) -> Renewal:
        """Renew, unless this message already did (the attempt is written down first)."""
        row = await self.store.renewal_attempt(origin, loan.barcode)
        if row and row.outcome:
            return _renewal(json.loads(row.outcome))
        if row and loan.renewals > row.renewals_before:
            renewal = Renewal(True, due=loan.due, renewals=loan.renewals)  # renewed just before a crash
        else:
            if row is None:
                await self.store.start_renewal_attempt(origin, loan.barcode, loan.id, loan.renewals, self.clock())
            renewal = await self.library.renew(loan)
        await self.store.record_renewal_outcome(origin, loan.barcode, json.dumps(_plain_renewal(renewal)))
        return renewal

    def _renewal_text(self, loan: Loan, renewal: Renewal, language: str) -> str:
        if renewal.renewed:
            return t(language, "renewed", title=loan.title, barcode=loan.barcode,
                     due=self.date(renewal.due or loan.due, language))
        key = f"renew_refused_{renewal.reason}"
        reason = t(language, key) if has(key) else t(language, "renew_refused_other", reason=renewal.reason or "-")
        if renewal.reason == "too_many" and renewal.max_renewals is not None:  # the count inside the sentence
            reason = t(language, "renew_refused_too_many_count", renewals=renewal.renewals or renewal.max_renewals,
                       max=renewal.max_renewals)
        return t(language, "renew_refused", title=loan.title, barcode=loan.barcode, reason=reason,
                 due=self.date(loan.due, language))

    def _loans_text(self, loans: list[Loan], language: str) -> str:
        if not loans:
            return t(language, "loans_none")
        now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC)
        lines = [t(language, "loans_header", count=len(loans))]
        for n, loan in enumerate(loans, start=1):
            late = " " + t(language, "loans_overdue") if loan.overdue(now) else ""
            lines.append(t(language, "loans_item", n=n, title=loan.title, barcode=loan.barcode,
                           due=self.date(loan.due, language)) + late)
        lines.append(t(language, "loans_footer"))
        return clip("\n".join(lines))

    def _fines_text(self, patron: LibraryPatron, language: str, account: Account) -> str:
        currency = self.settings.koha.currency
        if account.balance <= 0:
            return t(language, "fines_none")
        lines = [t(language, "fines_header", total=money(account.balance, currency))]
        lines += [t(language, "fines_item", description=f.description, amount=money(f.amount, currency))
                  for f in account.fines]
        lines.append(t(language, "fines_footer"))
        return clip("\n".join(lines))

    def date(self, moment: datetime.datetime | None, language: str) -> str:
        """A date as a patron reads it, in the library's time zone: 5 Desember 2026."""
        return long_date(moment, language, library_zone(self.settings))

    # -- when the library system is down -------------------------------------------------------

    async def _wait_for_librarian(self, row: InboxRow, code: Code, language: str, reason: str) -> None:
        librarian_language = self.settings.language.default
        detail = {"command": code.command.value, "argument": code.argument, "text": row.message.text, "reason": reason}
        async with self.store.tx() as db:
            request_id = await requests.create(self.store, db, inbox_id=row.id, kind="circulation",
                                                patron=row.message.sender, language=language, detail=detail)
            if request_id is not None:
                told = OutgoingMessage(to=row.message.sender, text=t(language, "library_down", code=row.message.text.strip()))
                await self.store.enqueue(db, f"svc:{request_id}:waiting:patron", told)
                text = t(librarian_language, "circ_waiting", id=request_id, patron=mask_phone(row.message.sender),
                         code=clip(row.message.text.strip(), 200), reason=clip(reason, 300))
                buttons = (Button(f"circ-retry:{request_id}", t(librarian_language, "button_retry")),
                           Button(f"circ-done:{request_id}", t(librarian_language, "button_done")))
                await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{request_id}:new",
                                                      [OutgoingMessage(to="", text=text, buttons=buttons)])
            await self.store.finish_inbox(row.id, db)

    async def _button(self, row: InboxRow, action: str, request_id: int) -> None:
        if action.startswith("link-"):
            await self.linking.decide(row, action == "link-approve", request_id)
        elif action == "renew-done":
            await self.by_hand.confirm(row, request_id)
        elif action == "renew-refuse":
            await self.by_hand.refuse(row, request_id)
        elif action == "circ-retry":
            await self._retry(row, request_id)
        else:
            await self._decide(row, request_id, [], t(self.settings.language.default, "circ_done_ack", id=request_id))

    async def _retry(self, row: InboxRow, request_id: int) -> None:
        language = self.settings.language.default
        request = await requests.get(self.store, request_id)
        if request is None or request.kind != "circulation" or request.status != "pending":
            await self._decide(row, request_id, [], "")  # reports the conflict
            return
        code = Code(Command(request.detail["command"]), request.detail.get("argument", ""))
        try:
            texts = await self.run(code, request.patron, request.language, origin=f"inbox:{request.inbox_id}")
        except LibraryUnavailable as e:
            await reply(self.store, row, t(language, "still_down", id=request_id, reason=clip(str(e), 300)))
            return
        messages = [OutgoingMessage(to=request.patron, text=clip(text)) for text in texts]
        await self._decide(row, request_id, messages, t(language, "circ_retried_ack", id=request_id))

    async def _decide(self, row: InboxRow, request_id: int, messages: list[OutgoingMessage], ack: str) -> None:
        async with self.store.tx() as db:
            try:
                await requests.close(self.store, db, request_id, row.message.sender, kind="circulation",
                                      messages=messages)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=row.message.sender, text=ack))
            await self.store.finish_inbox(row.id, db)

    async def _language(self, row: InboxRow, argument: str, language: str) -> None:
        wanted = argument.strip().lower()[:2]
        wanted = {"in": "id", "ba": "id", "en": "en", "id": "id", "ig": "en"}.get(wanted, "")
        if not wanted:
            await reply(self.store, row, t(language, "language_usage"))
            return
        async with self.store.tx() as db:
            await self.store.remember_language(db, row.message.sender, wanted)
            message = OutgoingMessage(to=row.message.sender, text=t(wanted, "language_set"))
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", message)
            await self.store.finish_inbox(row.id, db)


def _plain(barcode: str) -> str:
    return re.sub(r"[\s-]", "", barcode).upper()


def _plain_renewal(renewal: Renewal) -> dict[str, object]:
    data = asdict(renewal)
    data["due"] = renewal.due.isoformat() if renewal.due else None
    return data


def _renewal(data: dict[str, object]) -> Renewal:
    due = data.get("due")
    return Renewal(
        renewed=bool(data.get("renewed")),
        due=datetime.datetime.fromisoformat(due) if isinstance(due, str) else None,
        reason=str(data.get("reason") or ""),
        renewals=_optional_int(data.get("renewals")),
        max_renewals=_optional_int(data.get("max_renewals")),
    )


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
