"""Patrons' lists parked behind a shut 24-hour window, read back so the librarians hear of each once.

A list is held by the sender (a template can take its place) or by a status webhook saying
WhatsApp refused it for the shut window (:mod:`refbot.store.outbox`). The sender tells the
librarians under the key ``held:{draft}``; a list told of is not found here again.
"""

from __future__ import annotations

from refbot.store import Store


async def held_lists_untold(store: Store, since: float) -> list[int]:
    """Drafts with a part of the patron's list held since ``since`` whose hold no librarian was told of."""
    rows = await store.fetchall(
        "SELECT DISTINCT o.draft_id FROM outbox o"
        " WHERE o.state = 'held' AND o.draft_id IS NOT NULL AND o.idem_key LIKE 'draft:%:patron:%'"
        " AND o.updated_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM outbox n WHERE n.idem_key > 'held:' || o.draft_id || ':'"
        " AND n.idem_key < 'held:' || o.draft_id || ';') ORDER BY o.draft_id",
        (since,),
    )
    return [int(r["draft_id"]) for r in rows]
