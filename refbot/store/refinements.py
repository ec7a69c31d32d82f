"""The request a patron's refinement narrows: the one whose list they quoted, or their last list.

Read by :mod:`refbot.desk.questions` when a short message after a list reads as narrowing it.
"""

from __future__ import annotations

from refbot.store import Store


async def replied_request(store: Store, wamid: str, patron: str) -> int | None:
    """The request whose list (or acknowledgement) the patron quoted by its WhatsApp id."""
    row = await store.fetchone(
        "SELECT d.request_id FROM outbox o JOIN drafts d ON d.id = o.draft_id JOIN requests r ON r.id = d.request_id"
        " WHERE o.wamid = ? AND r.patron = ?", (wamid, patron),
    )
    return int(row["request_id"]) if row else None


async def last_list(store: Store, patron: str, since: float) -> int | None:
    """The patron's newest request, when its list was sent at or after ``since``.

    Only the newest counts: a question asked after the list (answered or not) is what a short
    follow-up is about, and it has no list yet to narrow.
    """
    row = await store.fetchone(
        "SELECT r.id FROM requests r JOIN drafts d ON d.request_id = r.id"
        " WHERE r.patron = ? AND d.status = 'sent' AND d.updated_at >= ?"
        " AND r.id = (SELECT MAX(n.id) FROM requests n WHERE n.patron = ?)", (patron, since, patron),
    )
    return int(row["id"]) if row else None
