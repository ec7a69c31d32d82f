"""Renewals a librarian makes in the library system (SLiMS): ``RENEW#…`` as a ``renewal`` request.

SLiMS's renewal rules live in its staff screens, so refbot renews nothing there itself
(:data:`refbot.ports.BY_LIBRARIAN`). Instead the patron is told that a librarian will extend
the loan in SLiMS, and the librarians get the request with the loans to extend:

- *Sudah diperpanjang* (``renew-done:<id>``): refbot reads the loans again; what SLiMS now
  shows renewed (more renewals or a later due date) is sent to the patron with the new due date
  and the request is closed. When SLiMS shows none of them renewed, nothing is closed and the
  librarian is told so — the usual slip is pressing before saving in SLiMS.
- *Tidak bisa* (``renew-refuse:<id>``): the patron is told to come to the circulation desk.
- ``JAWAB#<id> …``: the librarian's own words, as for any request.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from refbot.config import Settings
from refbot.decisions import fanout, requests
from refbot.delivery.render import mask_phone
from refbot.errors import LibraryUnavailable, RequestConflict
from refbot.models import Button, LibraryPatron, Loan, OutgoingMessage
from refbot.ports import LibrarySystem
from refbot.services.replies import clip, conflict_text
from refbot.store import InboxRow, Store
from refbot.texts import t

KIND = "renewal"


@dataclass(frozen=True)
class Asked:
    """One loan a patron asked to renew, as it stood when they asked."""

    barcode: str
    title: str
    due: str  # ISO, or ''
    renewals: int

    @classmethod
    def of(cls, loan: Loan) -> Asked:
        return cls(loan.barcode, loan.title, loan.due.isoformat() if loan.due else "", loan.renewals)


class RenewalsByHand:
    """The requests a librarian answers by renewing in the library system."""

    def __init__(self, store: Store, settings: Settings, library: LibrarySystem,
                 date: Callable[[datetime.datetime | None, str], str]) -> None:
        self.store = store
        self.settings = settings
        self.library = library
        self.date = date

    async def ask(self, inbox_id: int, phone: str, patron: LibraryPatron, loans: list[Loan], language: str) -> str:
        """Queue the request for the librarians (once per message); the patron's line about it."""
        asked = [Asked.of(loan) for loan in loans]
        detail = {"patron_id": patron.id, "cardnumber": patron.cardnumber, "name": patron.name,
                  "loans": [vars(a) for a in asked]}
        librarian_language = self.settings.language.default
        async with self.store.tx() as db:
            request_id = await requests.create(self.store, db, inbox_id=inbox_id, kind=KIND, patron=phone,
                                                language=language, detail=detail)
            if request_id is not None:
                lines = "\n".join(self._loan_line(a, librarian_language) for a in asked)
                text = t(librarian_language, "slims_renew_request", id=request_id, name=patron.name,
                         card=patron.cardnumber, patron=mask_phone(phone), loans=lines)
                buttons = (Button(f"renew-done:{request_id}", t(librarian_language, "button_renewed")),
                           Button(f"renew-refuse:{request_id}", t(librarian_language, "button_cannot_renew")))
                await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{request_id}:new",
                                           [OutgoingMessage(to="", text=clip(text), buttons=buttons)])
        titles = ", ".join(f"{a.title} ({a.barcode})" for a in asked)
        return t(language, "slims_renew_asked", titles=titles)

    async def confirm(self, row: InboxRow, request_id: int) -> None:
        """*Sudah diperpanjang*: tell the patron what SLiMS now shows, and close the request."""
        language = self.settings.language.default
        request = await requests.get(self.store, request_id)
        if request is None or request.kind != KIND or request.status != "pending":
            await self._decide(row, request_id, None, "")  # reports the conflict
            return
        asked = [Asked(**a) for a in request.detail.get("loans", [])]
        try:
            now = {loan.barcode: loan for loan in await self.library.loans(str(request.detail["patron_id"]))}
        except LibraryUnavailable:
            told = t(request.language, "slims_renewed_unchecked", titles=", ".join(a.title for a in asked))
            await self._decide(row, request_id, [told], t(language, "slims_renew_closed_ack", id=request_id))
            return
        renewed = [now[a.barcode] for a in asked if _was_renewed(a, now.get(a.barcode))]
        if not renewed:
            await self._tell(row, t(language, "slims_not_renewed_yet", id=request_id,
                                    barcodes=", ".join(a.barcode for a in asked)))
            return
        lines = [t(request.language, "renewed", title=loan.title, barcode=loan.barcode,
                   due=self.date(loan.due, request.language)) for loan in renewed]
        done = {loan.barcode for loan in renewed}
        lines += [t(request.language, "slims_renew_declined", title=a.title, barcode=a.barcode)
                  for a in asked if a.barcode not in done]
        await self._decide(row, request_id, ["\n\n".join(lines)], t(language, "slims_renew_closed_ack", id=request_id))

    async def refuse(self, row: InboxRow, request_id: int) -> None:
        """*Tidak bisa*: the patron is asked to come to the circulation desk."""
        language = self.settings.language.default
        async with self.store.tx() as db:
            try:
                request = await requests.load(self.store, db, request_id)
                text = t(request.language if request else language, "slims_renew_refused")
                await requests.reject(self.store, db, request_id, row.message.sender, kind=KIND, text=text)
                ack = t(language, "slims_renew_refused_ack", id=request_id)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=row.message.sender, text=ack))
            await self.store.finish_inbox(row.id, db)

    def _loan_line(self, asked: Asked, language: str) -> str:
        due = datetime.datetime.fromisoformat(asked.due) if asked.due else None
        return t(language, "slims_renew_loan", title=asked.title, barcode=asked.barcode,
                 due=self.date(due, language), renewals=asked.renewals)

    async def _decide(self, row: InboxRow, request_id: int, texts: list[str] | None, ack: str) -> None:
        async with self.store.tx() as db:
            try:
                request = await requests.load(self.store, db, request_id)
                to = request.patron if request else ""
                messages = [OutgoingMessage(to=to, text=clip(text)) for text in texts or []]
                await requests.close(self.store, db, request_id, row.message.sender, kind=KIND, messages=messages)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=row.message.sender, text=ack))
            await self.store.finish_inbox(row.id, db)

    async def _tell(self, row: InboxRow, text: str) -> None:
        async with self.store.tx() as db:
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=row.message.sender, text=text))
            await self.store.finish_inbox(row.id, db)


def _was_renewed(asked: Asked, now: Loan | None) -> bool:
    """Whether SLiMS shows the loan extended since the patron asked (more renewals, or a later due date)."""
    if now is None:
        return False
    later = bool(asked.due and now.due and now.due > datetime.datetime.fromisoformat(asked.due))
    return now.renewals > asked.renewals or later
