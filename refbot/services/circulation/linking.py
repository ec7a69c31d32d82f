"""Linking a WhatsApp number to a library card: ``DAFTAR#cardnumber``.

The number is linked at once when the library system already lists it on that card (as
phone, mobile or SMS number). Otherwise the link waits, and either confirms it:

- a librarian presses *Hubungkan* (``link-approve:<id>``) after checking who is asking, or
- the patron shows their card at the desk, is given the six-digit code the librarians
  received, and sends ``KODE#123456`` (five wrong tries lock the code).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets

from refbot.config import Settings
from refbot.decisions import fanout, requests
from refbot.delivery.render import mask_phone
from refbot.errors import RequestConflict
from refbot.models import Button, OutgoingMessage
from refbot.ports import LibrarySystem
from refbot.services.replies import conflict_text, reply
from refbot.store import InboxRow, Store
from refbot.texts import t

MAX_CODE_ATTEMPTS = 5


class CardLinking:
    """DAFTAR#, KODE# and the librarians' link buttons."""

    def __init__(self, store: Store, settings: Settings, library: LibrarySystem) -> None:
        self.store = store
        self.settings = settings
        self.library = library

    async def register(self, row: InboxRow, argument: str, language: str) -> None:
        """Start (or finish at once) linking the sender to a card.

        Raises:
            LibraryUnavailable: the library system could not be asked.
        """
        cardnumber = argument.strip().split()[0] if argument.strip() else ""
        phone = row.message.sender
        if not cardnumber:
            await reply(self.store, row, t(language, "register_usage"))
            return
        if await requests.for_inbox(self.store, row.id) is not None:
            await self.store.finish_inbox(row.id)  # done before a crash
            return
        patron = await self.library.patron_by_card(cardnumber)
        if patron is None:
            await reply(self.store, row, t(language, "card_not_found", card=cardnumber))
            return
        if any(_same_number(phone, known) for known in patron.phones):
            await self._link_now(row, patron.cardnumber, patron.id, patron.name, language)
            return
        await self._link_later(row, patron.cardnumber, patron.id, patron.name, language)

    async def confirm(self, row: InboxRow, argument: str, language: str) -> None:
        """Check a confirmation code the patron was given at the desk."""
        phone = row.message.sender
        link = await self.store.pending_card_link(phone)
        given = "".join(ch for ch in argument if ch.isdigit())
        if link is None:
            await reply(self.store, row, t(language, "no_pending_link"))
            return
        if link.attempts >= MAX_CODE_ATTEMPTS:
            await reply(self.store, row, t(language, "link_locked"))
            return
        if not given or not hmac.compare_digest(given.encode(), str(link.code).encode()):
            left = MAX_CODE_ATTEMPTS - link.attempts - 1
            async with self.store.tx() as db:
                await self.store.count_card_code_attempt(db, phone)
                text = t(language, "link_code_wrong", left=left) if left else t(language, "link_locked")
                await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=phone, text=text))
                await self.store.finish_inbox(row.id, db)
            return
        async with self.store.tx() as db:
            await self.store.set_card_linked(db, phone, "code")
            if link.request_id is not None:
                # A librarian may have decided meanwhile; the code proves the card all the same.
                with contextlib.suppress(RequestConflict):
                    await requests.close(self.store, db, link.request_id, phone, kind="link")
            message = OutgoingMessage(to=phone, text=t(language, "linked", name=link.name, card=link.cardnumber))
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", message)
            await self.store.finish_inbox(row.id, db)

    async def decide(self, row: InboxRow, approve: bool, request_id: int) -> None:
        """A librarian's *Hubungkan* or *Tolak* on a pending link."""
        language = self.settings.language.default
        actor = row.message.sender
        async with self.store.tx() as db:
            try:
                request = await requests.load(self.store, db, request_id)
                patron_language = request.language if request else language
                card = str(request.detail.get("cardnumber", "")) if request else ""
                name = str(request.detail.get("name", "")) if request else ""
                if approve:
                    told = OutgoingMessage(to=request.patron if request else "",
                                           text=t(patron_language, "linked", name=name, card=card))
                    request = await requests.approve(self.store, db, request_id, actor, kind="link", messages=[told])
                    await self.store.set_card_linked(db, request.patron, actor)
                    ack = t(language, "link_approved_ack", id=request_id, name=name, card=card)
                else:
                    request = await requests.reject(self.store, db, request_id, actor, kind="link",
                                                     text=t(patron_language, "link_rejected"))
                    await self.store.reject_card_link(db, request.patron, actor)
                    ack = t(language, "link_rejected_ack", id=request_id)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=actor, text=ack))
            await self.store.finish_inbox(row.id, db)

    async def _link_now(self, row: InboxRow, card: str, patron_id: str, name: str, language: str) -> None:
        phone = row.message.sender
        async with self.store.tx() as db:
            await self.store.upsert_card_link(db, phone, card, patron_id, name, status="linked", code="", request_id=None)
            await self.store.set_card_linked(db, phone, "library-record")
            message = OutgoingMessage(to=phone, text=t(language, "linked", name=name, card=card))
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", message)
            await self.store.finish_inbox(row.id, db)

    async def _link_later(self, row: InboxRow, card: str, patron_id: str, name: str, language: str) -> None:
        phone, librarian_language = row.message.sender, self.settings.language.default
        code = f"{secrets.randbelow(1_000_000):06d}"
        detail = {"cardnumber": card, "patron_id": patron_id, "name": name}
        async with self.store.tx() as db:
            request_id = await requests.create(self.store, db, inbox_id=row.id, kind="link", patron=phone,
                                                language=language, detail=detail)
            if request_id is not None:
                await self.store.upsert_card_link(db, phone, card, patron_id, name, status="pending", code=code,
                                                  request_id=request_id)
                told = OutgoingMessage(to=phone, text=t(language, "link_pending", card=card))
                await self.store.enqueue(db, f"svc:{request_id}:pending:patron", told)
                text = t(librarian_language, "link_request", id=request_id, name=name, card=card,
                         profile=row.message.sender_name or "-", patron=mask_phone(phone), code=code)
                buttons = (Button(f"link-approve:{request_id}", t(librarian_language, "button_link")),
                           Button(f"link-reject:{request_id}", t(librarian_language, "button_reject")))
                await fanout.to_librarians(self.store, db, self.settings.librarians, f"svc:{request_id}:new",
                                                      [OutgoingMessage(to="", text=text, buttons=buttons)])
            await self.store.finish_inbox(row.id, db)


def _same_number(whatsapp: str, written: str) -> bool:
    """Whether a number from the library system is this WhatsApp number (0812… = 62812…)."""
    a = "".join(ch for ch in whatsapp if ch.isdigit())
    b = "".join(ch for ch in written if ch.isdigit())
    if not a or not b:
        return False
    return a == b or _national(a) == _national(b)


def _national(number: str) -> str:
    if number.startswith("62"):
        return number[2:]
    return number[1:] if number.startswith("0") else number
