"""Sending a patron their approved list as a RIS or BibTeX file, for their reference manager.

The file is kept in the desk's :class:`refbot.ports.MediaStore` as ``exports/referensi-<draft>.<ext>``
until the sender, on whichever node, uploads it to WhatsApp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from refbot.citations import export
from refbot.models import Attachment, Candidate, Draft, InboundMessage, OutgoingMessage
from refbot.ports import MediaStore
from refbot.store import InboxRow, Store
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
        draft = await self._latest_list(row.message.sender)
        if draft is None:
            message = OutgoingMessage(to=row.message.sender, text=t(self.language, "export_none"))
        else:
            message = OutgoingMessage(
                to=row.message.sender,
                text=t(draft.language if draft.language in ("id", "en") else self.language, "export_caption",
                       format=label),
                document=await self._write(draft.id, [r.candidate for r in draft.items], fmt),
            )
        async with self.store.tx() as db:
            await self.store.enqueue(db, f"reply:{row.id}:export", message)
            await self.store.finish_inbox(row.id, db)

    async def _latest_list(self, patron: str) -> Draft | None:
        return await self.store.latest_approved_draft(patron)

    async def _write(self, draft_id: int, candidates: list[Candidate], fmt: str) -> Attachment:
        filename, mime, text = export(candidates, fmt, name=f"referensi-{int(draft_id)}")
        key = f"exports/{filename}"
        await self.media.put(key, text.encode("utf-8"), mime)
        return Attachment(key, filename, mime)
