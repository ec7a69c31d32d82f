"""Answering the person who wrote, and the texts shared by every desk service."""

from __future__ import annotations

from collections.abc import Sequence

from refbot.config import Settings
from refbot.decisions import deciders
from refbot.errors import RequestConflict
from refbot.models import Button, OutgoingMessage
from refbot.store import InboxRow, Store
from refbot.texts import TEXT_LIMIT, t


async def reply(store: Store, row: InboxRow, texts: str | Sequence[str], buttons: tuple[Button, ...] = ()) -> None:
    """Answer the sender of ``row`` and finish the row, in one transaction (safe to repeat)."""
    parts = [texts] if isinstance(texts, str) else list(texts)
    async with store.tx() as db:
        for n, text in enumerate(parts):
            last = n == len(parts) - 1
            message = OutgoingMessage(to=row.message.sender, text=clip(text), buttons=buttons if last else ())
            await store.enqueue(db, f"svc-reply:{row.id}:{n}", message)
        await store.finish_inbox(row.id, db)


def conflict_text(settings: Settings, error: RequestConflict, request_id: int) -> str:
    """What a librarian is told when a request was already decided (or is not there)."""
    language = settings.language.default
    if not error.status:
        return t(language, "request_not_found", id=request_id)
    if error.status == "withdrawn":  # the patron erased their data; nobody decided
        return t(language, "request_withdrawn", id=request_id)
    who = deciders.who(error.decided_by, deciders.librarian_names(settings.librarians), language)
    return t(language, "request_conflict", id=request_id, status=t(language, f"status_{error.status}"), who=who)


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """Text cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def money(amount: float, currency: str) -> str:
    """An amount as Indonesians write it: Rp 12.500."""
    whole = f"{round(amount):,}".replace(",", ".")
    return f"{currency} {whole}".strip()
