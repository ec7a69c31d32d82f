"""Sending a patron their approved list as a RIS or BibTeX file, for their reference manager.

The file is kept in the desk's :class:`refbot.ports.MediaStore` as ``exports/referensi-<draft>.<ext>``
until the sender, on whichever node, uploads it to WhatsApp. The list exported is the newest
approved one that has something in it: an approved list may be empty (every item removed, or
nothing found), and a reference manager cannot import an empty file, so the patron gets the
newest list with items, or is told there is nothing to export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from refbot.citations import export
from refbot.models import Attachment, Candidate, Draft, InboundMessage, OutgoingMessage
from refbot.ports import MediaStore
from refbot.store import InboxRow, Store
from refbot.store.exports import approved_draft_ids
from refbot.texts import t

_ASK = re.compile(r"^\s*(?:(?:kirim|minta|format|send|as|in|dalam)\s+){0,3}(ris|bibtex|bib)\b[\s.!?]*$", re.IGNORECASE)
_FORMATS = {"ris": ("ris", "RIS"), "bibtex": ("bibtex", "BibTeX"), "bib": ("bibtex", "BibTeX")}


@dataclass
class ExportService:
    """A desk service: "RIS" or "BibTeX" from a patron sends their latest list as a file."""

    store: Store
    media: MediaStore
    language: str = "id"
    name: str = "export"

    def wants(self, message: InboundMessage, *, from_librarian: bool) -> bool:
        """A short message asking for the list as RIS or BibTeX."""
        return message.type == "text" and bool(_ASK.match(message.text))

    async def handle(self, row: InboxRow) -> None:
        """Write the file and queue it; without a sent list, say how this works."""
        match = _ASK.match(row.message.text)
        assert match is not None
        fmt, label = _FORMATS[match[1].lower()]
        message = await self._reply(row.message.sender, fmt, label)
        async with self.store.tx() as db:
            await self.store.enqueue(db, f"reply:{row.id}:export", message)
            await self.store.finish_inbox(row.id, db)

    async def _reply(self, patron: str, fmt: str, label: str) -> OutgoingMessage:
        """The file of the newest list with items; else why there is none."""
        approved = await approved_draft_ids(self.store, patron)
        draft = await self._newest_with_items(approved)
        if draft is None:
            key = "export_empty" if approved else "export_none"
            return OutgoingMessage(to=patron, text=t(self.language, key, format=label))
        language = draft.language if draft.language in ("id", "en") else self.language
        return OutgoingMessage(to=patron, text=t(language, "export_caption", format=label),
                               document=await self._write(draft.id, _exportable(draft), fmt))

    async def _newest_with_items(self, draft_ids: list[int]) -> Draft | None:
        for draft_id in draft_ids:
            draft = await self.store.get_draft(draft_id)
            if draft is not None and _exportable(draft):
                return draft
        return None

    async def _write(self, draft_id: int, candidates: list[Candidate], fmt: str) -> Attachment:
        filename, mime, text = export(candidates, fmt, name=f"referensi-{int(draft_id)}")
        key = f"exports/{filename}"
        await self.media.put(key, text.encode("utf-8"), mime)
        return Attachment(key, filename, mime)


def _exportable(draft: Draft) -> list[Candidate]:
    # Retracted items are never exported (see refbot.citations.export), so they do not count.
    return [r.candidate for r in draft.items if not r.candidate.retracted]
