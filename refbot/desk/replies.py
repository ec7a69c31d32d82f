"""The desk's own short replies: one text, queued once per inbound message, the row finished with it."""

from __future__ import annotations

from refbot.config import Settings
from refbot.models import InboxRow, OutgoingMessage
from refbot.store import Store
from refbot.texts import t


async def reply_once(store: Store, settings: Settings, row: InboxRow, key: str, language: str = "",
                     **values: object) -> None:
    """Answer ``row``'s sender with the text ``key`` and finish the row, together (so exactly once)."""
    language = language or settings.language.default
    async with store.tx() as tx:
        message = OutgoingMessage(to=row.message.sender, text=t(language, key, **values))
        await store.enqueue(tx, f"reply:{row.id}:{key}", message)
        await store.finish_inbox(row.id, tx)
