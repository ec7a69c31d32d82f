"""A librarian's own answer to any service request: ``JAWAB#12 <text>`` (or ``ANSWER#12 …``).

A number no service request has but a reference draft does answers that draft's patron
(as ``#12 jawab <teks>`` does), rather than "not found".
"""

from __future__ import annotations

import re

from refbot.config import Settings
from refbot.decisions import requests
from refbot.decisions.librarian import answer_draft
from refbot.errors import RequestConflict
from refbot.models import InboundMessage, OutgoingMessage
from refbot.services.codes import Command, parse_code
from refbot.services.replies import conflict_text, reply
from refbot.store import InboxRow, Store
from refbot.texts import t

_ARGUMENT = re.compile(r"^\s*(\d+)\s+(.+)$", re.DOTALL)


class AnswerService:
    """Librarians answering a snap, a waiting code or any other request in their own words."""

    name = "answers"

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """``JAWAB#<id> …`` from librarians only; from a patron it is just words."""
        code = parse_code(message.text) if from_librarian and message.type == "text" else None
        return code is not None and code.command is Command.ANSWER

    async def handle(self, row: InboxRow) -> None:
        """Send the librarian's words to the patron and close the request (idempotent)."""
        language = self.settings.language.default
        code = parse_code(row.message.text)
        found = _ARGUMENT.match(code.argument) if code else None
        if found is None:
            await reply(self.store, row, t(language, "answer_usage"))
            return
        request_id, text = int(found[1]), found[2].strip()
        request = await requests.get(self.store, request_id)
        if request is None and await self.store.get_draft(request_id):
            # No service request has this number but a reference draft does: answer its patron.
            await reply(self.store, row, await answer_draft(self.store, self.settings, request_id,
                                                            row.message.sender, text))
            return
        if request is not None and request.status == "rejected":  # the personal reply *Tolak* promised
            try:
                await requests.reply_after_rejection(self.store, request, row.message.sender, text)
                ack = t(language, "answer_sent_ack", id=request_id)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await reply(self.store, row, ack)
            return
        async with self.store.tx() as db:
            try:
                await requests.answer(self.store, db, request_id, row.message.sender, text)
                ack = t(language, "answer_sent_ack", id=request_id)
            except RequestConflict as e:
                ack = conflict_text(self.settings, e, request_id)
            await self.store.enqueue(db, f"svc-reply:{row.id}:0", OutgoingMessage(to=row.message.sender, text=ack))
            await self.store.finish_inbox(row.id, db)
