"""Who a patron is to the desk services: their language, and their card in the library system."""

from __future__ import annotations

from refbot.models import LibraryPatron
from refbot.ports import LibrarySystem
from refbot.store import Store
from refbot.texts import LANGUAGES, known_language


async def patron_language(store: Store, phone: str, default: str, hint: str | None = None) -> str:
    """The language to answer a patron in.

    The one they chose (``BAHASA#EN``), else the one of their latest question, else the one
    their code's keyword is in (``LOANS`` is English, ``PINJAMAN`` Indonesian), else ``default``.
    """
    chosen = await store.patron_language(phone)
    if chosen in LANGUAGES:
        return str(chosen)
    latest = await store.last_question_language(phone)
    if latest in LANGUAGES:
        return str(latest)
    if hint in LANGUAGES:
        return str(hint)
    return known_language(default)


async def linked_card(store: Store, phone: str) -> str:
    """The card number linked to a WhatsApp number, or ''."""
    return await store.linked_card(phone)


async def resolve(store: Store, library: LibrarySystem, phone: str) -> LibraryPatron | None:
    """The library patron behind a WhatsApp number: by linked card, else by the number itself.

    A number that several patrons share is not enough; they must link a card first.

    Raises:
        LibraryUnavailable: the library system could not be asked.
    """
    card = await linked_card(store, phone)
    if card:
        return await library.patron_by_card(card)
    found = await library.patrons_by_phone(phone)
    return found[0] if len(found) == 1 else None
