"""Who a patron is to the desk services: their language, and their card in the library system."""

from __future__ import annotations

from refbot.services.library import LibraryPatron, LibrarySystem
from refbot.store import Store, Tx
from refbot.texts import LANGUAGES, known_language


async def patron_language(store: Store, phone: str, default: str, hint: str | None = None) -> str:
    """The language to answer a patron in.

    The one they chose (``BAHASA#EN``), else the one of their latest question, else the one
    their code's keyword is in (``LOANS`` is English, ``PINJAMAN`` Indonesian), else ``default``.
    """
    row = await store.fetchone("SELECT language FROM patrons WHERE phone = ?", (phone,))
    if row and row["language"] in LANGUAGES:
        return str(row["language"])
    row = await store.fetchone("SELECT language FROM requests WHERE patron = ? ORDER BY id DESC LIMIT 1", (phone,))
    if row and row["language"] in LANGUAGES:
        return str(row["language"])
    if hint in LANGUAGES:
        return str(hint)
    return known_language(default)


async def remember_language(db: Tx, phone: str, language: str) -> None:
    """Keep a patron's chosen language (inside the caller's transaction)."""
    await db.execute(
        "INSERT INTO patrons (phone, language) VALUES (?, ?)"
        " ON CONFLICT (phone) DO UPDATE SET language = excluded.language",
        (phone, language),
    )


async def linked_card(store: Store, phone: str) -> str:
    """The card number linked to a WhatsApp number, or ''."""
    row = await store.fetchone("SELECT cardnumber FROM card_links WHERE phone = ? AND status = 'linked'", (phone,))
    return str(row["cardnumber"]) if row else ""


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
