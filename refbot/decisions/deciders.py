"""Who decided something, in the words a librarian reads: never a bare number or a "?".

A draft or a service request remembers its decider as an *actor*: a WhatsApp librarian's phone
number, ``console:<username>`` for the web console, the patron's own number (a card link they
confirmed with the desk's code), or the pseudonym erasure left in its place. Colleagues are told
a name, the patron is "the patron themselves", and a draft nobody decided that an erasure
closed says so — the conflict messages of :mod:`refbot.decisions.librarian` and the desk
services all read from here.
"""

from __future__ import annotations

from collections.abc import Iterable

from refbot.config import Librarian
from refbot.delivery.render import mask_phone
from refbot.store import Store
from refbot.texts import t

PATRON = "patron"
"""The actor a service request names when the patron decided it themselves."""
ERASED = "erased:"
"""How a pseudonym left by erasure starts (:func:`refbot.store.privacy.pseudonym`)."""


async def actor_names(store: Store, librarians: Iterable[Librarian]) -> dict[str, str]:
    """Display names by actor: the WhatsApp librarians of the settings and every console account."""
    names = {lib.phone: lib.name for lib in librarians if lib.name}
    for account in await store.all_accounts():
        names[account.actor] = account.display
    return names


def librarian_names(librarians: Iterable[Librarian]) -> dict[str, str]:
    """Display names of the WhatsApp librarians only (for callers without the store at hand)."""
    return {lib.phone: lib.name for lib in librarians if lib.name}


def who(actor: str, names: dict[str, str], language: str, *, patron: str = "") -> str:
    """The decider as colleagues should read it: a name, "the patron themselves", or a masked number."""
    if actor == PATRON or actor.startswith(ERASED) or (patron and actor == patron):
        return t(language, "who_patron")
    if actor in names:
        return names[actor]
    if actor.startswith("console:"):
        return actor.removeprefix("console:")
    if not actor:
        return t(language, "who_nobody")
    return mask_phone(actor) if actor.isdigit() else actor
