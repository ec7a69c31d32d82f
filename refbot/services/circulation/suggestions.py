"""Acquisition suggestions: ``USUL#title or ISBN`` stored for the librarians, who list them with ``USUL``."""

from __future__ import annotations

import datetime
import re

from refbot.config import Settings
from refbot.delivery.render import mask_phone
from refbot.services.replies import clip, reply
from refbot.store import InboxRow, Store
from refbot.texts import t

_ISBN_CANDIDATE = re.compile(r"(?<![\dXx])(?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dXx](?![\dXx])")
LIST_SIZE = 15


async def handle(store: Store, settings: Settings, row: InboxRow, argument: str, language: str) -> None:
    """Store a patron's suggestion, or list the open ones for a librarian."""
    librarians = {lib.phone for lib in settings.librarians}
    text = " ".join(argument.split())
    if not text:
        if row.message.sender in librarians:
            await reply(store, row, await listing(store, settings.language.default))
        else:
            await reply(store, row, t(language, "suggest_usage"))
        return
    isbn = find_isbn(text)
    await store.add_suggestion(row.id, row.message.sender, clip(text, 500), isbn)
    await reply(store, row, t(language, "suggest_thanks", text=clip(text, 200)))


async def open_suggestions(store: Store, limit: int = LIST_SIZE) -> list[dict[str, object]]:
    """The newest suggestions not yet decided, for the console and the librarians' list."""
    return [dict(r) for r in await store.open_suggestions(limit)]


async def listing(store: Store, language: str) -> str:
    """The open suggestions as a librarian reads them on WhatsApp."""
    found = await open_suggestions(store)
    if not found:
        return t(language, "suggest_list_empty")
    lines = [t(language, "suggest_list_header", count=len(found))]
    for s in found:
        day = datetime.datetime.fromtimestamp(float(str(s["created_at"])), datetime.UTC).strftime("%Y-%m-%d")
        isbn = f" · ISBN {s['isbn']}" if s["isbn"] else ""
        lines.append(f"#{s['id']} {day} {mask_phone(str(s['patron']))}: {s['text']}{isbn}")
    return clip("\n".join(lines))


def find_isbn(text: str) -> str:
    """The first valid ISBN-10 or ISBN-13 in a text (digits only), or ''."""
    for found in _ISBN_CANDIDATE.finditer(text):
        digits = re.sub(r"[\s-]", "", found[0]).upper()
        if is_isbn(digits):
            return digits
    return ""


def is_isbn(digits: str) -> bool:
    """Whether 10 or 13 characters carry a correct ISBN check digit."""
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
        return total % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits))
        return total % 11 == 0
    return False
