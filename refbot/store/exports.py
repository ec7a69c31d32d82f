"""Which of a patron's lists ``RIS`` / ``BibTeX`` may export, read back for the export service."""

from __future__ import annotations

from refbot.store import Store


async def approved_draft_ids(store: Store, patron: str, *, limit: int = 20) -> list[int]:
    """The patron's drafts a librarian approved (sent or not), newest first, at most ``limit``."""
    rows = await store.fetchall(
        "SELECT d.id FROM drafts d JOIN requests r ON r.id = d.request_id"
        " WHERE r.patron = ? AND d.status IN ('approved', 'sent') ORDER BY d.id DESC LIMIT ?",
        (patron, limit),
    )
    return [int(r["id"]) for r in rows]
