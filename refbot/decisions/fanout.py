"""The one way a message reaches every librarian: queued once per librarian, under one key scheme.

A draft to review, a new service request, a warning that a patron's window is about to shut:
each is queued for every configured librarian inside the caller's transaction, under
``{key}:librarian:{phone}:{n}``. The key makes each queueing exactly-once — handling the same
message again after a crash queues nothing new — and names which librarian and which part.
What one librarian did is told to the others (:func:`to_colleagues`) in one short line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from refbot.config import Librarian
from refbot.models import OutgoingMessage
from refbot.store import Store, Tx


def librarian_key(key: str, phone: str, part: int) -> str:
    """The outbox key of part ``part`` of ``key`` for the librarian at ``phone``."""
    return f"{key}:librarian:{phone}:{part}"


async def to_librarians(
    store: Store, tx: Tx, librarians: Iterable[Librarian], key: str, messages: Sequence[OutgoingMessage],
    *, draft_id: int | None = None,
) -> int:
    """Queue ``messages`` to every librarian (``to`` filled in for each); returns how many were new."""
    queued = 0
    for librarian in librarians:
        for part, message in enumerate(messages):
            addressed = replace(message, to=librarian.phone)
            queued += await store.enqueue(tx, librarian_key(key, librarian.phone, part), addressed, draft_id)
    return queued


async def to_colleagues(
    store: Store, tx: Tx, librarians: Iterable[Librarian], actor: str, key: str, messages: Sequence[OutgoingMessage],
    *, draft_id: int | None = None,
) -> int:
    """Queue ``messages`` to every librarian but ``actor`` (who already knows what they did)."""
    others = [lib for lib in librarians if lib.phone != actor]
    return await to_librarians(store, tx, others, key, messages, draft_id=draft_id)
