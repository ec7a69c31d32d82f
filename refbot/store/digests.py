"""The morning digest's reads and writes: the librarians' notices kept quiet overnight, and what still waits.

A notice the sender kept quiet (:meth:`refbot.store.outbox.OutboxStore.keep_quiet`) is read
back here when the day's digest is made, with the draft or service request it announces; once
the digest is queued, the notices it replaces are ``digested`` (never sent). Everything here
runs inside the digest's one transaction, so the digest, the claim of its day and the rows it
replaces are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Collection

from refbot.store.database import Row, Tx


async def quiet_rows(db: Tx) -> list[Row]:
    """Every quiet outbox row, oldest first: id, key, recipient, message (as stored) and draft."""
    return await db.fetchall(
        "SELECT id, idem_key, recipient, message, draft_id FROM outbox WHERE state = 'quiet' ORDER BY id"
    )


async def waiting_drafts(db: Tx, ids: Collection[int]) -> dict[int, Row]:
    """Of the drafts ``ids``, those still pending, with their patron's question and when it came."""
    return await _by_id(db, "SELECT d.id, d.created_at, r.text FROM drafts d JOIN requests r ON r.id = d.request_id"
                            " WHERE d.status = 'pending' AND d.id", ids)


async def waiting_requests(db: Tx, ids: Collection[int]) -> dict[int, Row]:
    """Of the service requests ``ids``, those still pending, with their kind and when they came."""
    return await _by_id(db, "SELECT id, kind, created_at FROM service_requests WHERE status = 'pending' AND id", ids)


async def set_digested(db: Tx, ids: Collection[int], at: float) -> None:
    """The quiet rows ``ids`` are replaced by a digest: they are never sent."""
    await db.executemany(
        "UPDATE outbox SET state = 'digested', updated_at = ? WHERE id = ? AND state = 'quiet'",
        [(at, row_id) for row_id in ids],
    )


async def _by_id(db: Tx, query: str, ids: Collection[int]) -> dict[int, Row]:
    """The rows of ``query`` (which ends in the column to match) whose id is in ``ids``, by id."""
    if not ids:  # "IN ()" is not SQL
        return {}
    rows = await db.fetchall(f"{query} IN ({', '.join('?' for _ in ids)})", tuple(ids))
    return {int(r["id"]): r for r in rows}
